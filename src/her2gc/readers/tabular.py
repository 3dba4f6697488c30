"""Reading delimited sequencing files (MAF, seg, discrete CNA, ctDNA CSV) with pyarrow.

Shared by every tabular reader so that they all behave alike on bad input:

* plain or gzip-compressed, recognised by the gzip magic bytes, not by the name;
* leading ``#`` lines (MAF version lines, cBioPortal metadata) are skipped and counted
  into the line numbers, so every message names the physical line of the file;
* column names are matched case-insensitively against a list of aliases;
* a row with the wrong number of fields (a truncated last line, a stray blank line) is
  skipped and counted, with the first few line numbers kept for the warning;
* every column is read as text and converted here, so a non-numeric value is reported
  with its file, line and column instead of pyarrow's row-less conversion error.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from her2gc.errors import InputError
from her2gc.input_files import read_bytes

# Values that mean "no value" in MAF, cBioPortal and spreadsheet exports.
NULL_TOKENS = ["", "NA", "NaN", "nan", "N/A", "NULL", "null", "."]
LINE = "__line__"  # the physical line number of each data row, kept through filtering


@dataclass
class ReadReport:
    """What a reader did not use, and why: never a silent drop."""

    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0  # data lines (or records) read from the file
    units: dict[str, str] = field(default_factory=dict)  # reason -> what was skipped, when not whole rows

    def skip(self, reason: str, count: int = 1, unit: str = "row") -> None:
        """Count what was not used and why; ``unit`` says when it is not whole rows (values, columns, alleles)."""
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count
            if unit != "row":
                self.units[reason] = unit

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def merge(self, other: ReadReport) -> None:
        for reason, count in other.skipped.items():
            self.skip(reason, count, other.units.get(reason, "row"))
        self.warnings.extend(other.warnings)
        self.rows_read += other.rows_read

    @property
    def skipped_total(self) -> int:
        """Whole rows skipped (values, columns or alleles skipped inside used rows are not rows)."""
        return sum(count for reason, count in self.skipped.items() if reason not in self.units)

    def accounting(self) -> str:
        """``N row(s) read: U used, S skipped (reason: n; ...)``, then what else was skipped inside rows."""
        rows = {r: n for r, n in self.skipped.items() if r not in self.units}
        other = {r: n for r, n in self.skipped.items() if r in self.units}
        used = self.rows_read - self.skipped_total
        text = f"{self.rows_read} row(s) read: {used} used, {self.skipped_total} skipped"
        if rows:
            text += " (" + "; ".join(f"{reason}: {count}" for reason, count in sorted(rows.items())) + ")"
        if other:
            text += "; also not used: " + "; ".join(
                f"{count} {self.units[r]}(s): {r}" for r, count in sorted(other.items())
            )
        return text


@dataclass(frozen=True)
class RawTable:
    """A delimited file read as text: the table, the header's line number and the path."""

    path: Path
    table: pa.Table
    header_line: int
    columns: dict[str, str]  # canonical name -> column name in the file
    trimmed: dict[str, pa.ChunkedArray] = field(default_factory=dict, compare=False, hash=False)

    def line_of(self, row: int) -> int:
        """Physical 1-based line number of data row ``row`` (0-based)."""
        return int(self.table.column(LINE)[row].as_py())

    def lines(self) -> pa.ChunkedArray:
        return self.table.column(LINE)

    def filter(self, mask: pa.Array | pa.ChunkedArray) -> RawTable:
        return RawTable(self.path, self.table.filter(mask), self.header_line, self.columns)

    def where(self, row: int, canonical: str) -> str:
        return f"{self.path.name} line {self.line_of(row)}, column '{self.columns.get(canonical, canonical)}'"


def _split_preamble(raw: bytes, comment: bytes) -> tuple[int, int]:
    """Byte offset and 0-based line index of the header (first line not starting with ``comment``)."""
    offset = 0
    line = 0
    while raw.startswith(comment, offset):
        newline = raw.find(b"\n", offset)
        if newline < 0:
            return len(raw), line + 1
        offset = newline + 1
        line += 1
    return offset, line


def resolve_columns(
    path: Path, header: Sequence[str], aliases: Mapping[str, Sequence[str]], required: Iterable[str], header_line: int
) -> dict[str, str]:
    """Canonical name -> the file's column, matching aliases case-insensitively, in alias order."""
    folded = {name.strip().lower(): name for name in header}
    found: dict[str, str] = {}
    for canonical, names in aliases.items():
        for name in names:
            if name.lower() in folded:
                found[canonical] = folded[name.lower()]
                break
    for canonical in required:
        if canonical not in found:
            wanted = " or ".join(f"'{n}'" for n in aliases[canonical])
            raise InputError(f"{path.name} line {header_line}: column {wanted} missing")
    return found


def _header(path: Path, first_line: bytes, delimiter: str, header_line: int, report: ReadReport) -> list[str]:
    """Column names, stripped; padded names are said once, duplicates and blanks refused."""
    try:
        names = first_line.decode("utf-8").split(delimiter)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} line {header_line}: not UTF-8 text (byte {exc.start} of the header)") from None
    header = [name.strip() for name in names]
    padded = [repr(raw) for raw, name in zip(names, header, strict=True) if raw != name and name]
    if padded:
        report.warn(f"{path.name} line {header_line}: column name(s) {', '.join(padded[:5])} read without their spaces")
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        key = name.lower()
        if key and key in seen:
            raise InputError(
                f"{path.name} line {header_line}: column '{name}' appears twice (columns {seen[key]} and {index})"
            )
        seen[key] = index
    # A header ending in a delimiter (spreadsheet exports) names an empty last column.
    return [name or f"__column_{index}__" for index, name in enumerate(header, start=1)]


def _check_utf8(path: Path, body: bytes, header_index: int) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = header_index + body.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path.name} line {line}: not UTF-8 text (byte {exc.start} after the preamble)") from None


def read_delimited(
    path: Path,
    aliases: Mapping[str, Sequence[str]],
    required: Iterable[str],
    report: ReadReport,
    delimiter: str | None = None,
    keep_all_columns: bool = False,
) -> RawTable:
    """Read ``path`` (tab-, comma- or auto-delimited) as text columns, header after ``#`` lines.

    Tab-separated files are read without quote handling (MAF, SEG and CNA files do not
    quote, so a stray ``"`` is data, not the start of a field that swallows the lines after
    it); comma-separated files keep CSV quoting. Every data line is accounted for: used,
    or skipped by reason.
    """
    raw = read_bytes(path)
    offset, header_index = _split_preamble(raw, b"#")
    body = raw[offset:]
    _check_utf8(path, body, header_index)
    first_line = body.split(b"\n", 1)[0].rstrip(b"\r")
    if delimiter is None:
        delimiter = "\t" if b"\t" in first_line else ","
    header_line = header_index + 1
    header = _header(path, first_line, delimiter, header_line, report)
    columns = resolve_columns(path, header, aliases, required, header_line)
    bad_lines: list[int] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        # pyarrow numbers rows from the first line it reads (the header, skipped) in single-threaded mode.
        if row.number is not None:
            bad_lines.append(header_index + row.number)
        return "skip"

    include = None if keep_all_columns else sorted(set(columns.values()))
    try:
        table = pcsv.read_csv(
            io.BytesIO(body),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=1 << 24, column_names=header, skip_rows=1),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if delimiter == "," else False,
                invalid_row_handler=on_invalid,
                ignore_empty_lines=False,
            ),
            convert_options=pcsv.ConvertOptions(
                include_columns=include,
                column_types=dict.fromkeys(header, pa.string()),
                null_values=NULL_TOKENS,
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path.name}: cannot parse as a delimited table ({' '.join(str(exc).split())[:160]})"
        ) from None
    report.rows_read += table.num_rows + len(bad_lines)
    if bad_lines:
        _report_bad_rows(path, bad_lines, report)
    table = _with_line_numbers(table, header_line, bad_lines)
    table = _drop_blank_rows(path, table, report)
    if table.num_rows == 0:
        report.warn(f"{path.name}: no data rows after the header (line {header_line})")
    return RawTable(path=path, table=table, header_line=header_line, columns=columns)


def _with_line_numbers(table: pa.Table, header_line: int, bad_lines: list[int]) -> pa.Table:
    """Physical line of every kept row: the data lines after the header minus the skipped ones."""
    total = table.num_rows + len(bad_lines)
    lines = np.arange(header_line + 1, header_line + 1 + total, dtype=np.int64)
    if bad_lines:
        lines = lines[~np.isin(lines, np.asarray(bad_lines, dtype=np.int64))]
    return table.append_column(LINE, pa.array(lines))


def _drop_blank_rows(path: Path, table: pa.Table, report: ReadReport) -> pa.Table:
    data = [table.column(i) for i in range(table.num_columns - 1)]
    if not data or table.num_rows == 0:
        return table
    blank = pc.is_null(data[0])
    for column in data[1:]:
        blank = pc.and_(blank, pc.is_null(column))
    count = pc.sum(blank).as_py() or 0
    if count:
        report.skip("blank rows (no value in any column read)", count)
        return table.filter(pc.invert(blank))
    return table


def _report_bad_rows(path: Path, bad_lines: list[int], report: ReadReport) -> None:
    shown = ", ".join(str(n) for n in bad_lines[:5]) + (" ..." if len(bad_lines) > 5 else "")
    report.skip("rows with the wrong number of fields (truncated or blank lines)", len(bad_lines))
    report.warn(f"{path.name}: skipped {len(bad_lines)} row(s) with the wrong number of fields (line {shown})")


def text(raw: RawTable, canonical: str) -> pa.ChunkedArray:
    """A text column, stripped; nulls where the file has no value."""
    if canonical not in raw.trimmed:  # several steps read the same column
        raw.trimmed[canonical] = pc.utf8_trim_whitespace(raw.table.column(raw.columns[canonical]))
    return raw.trimmed[canonical]


def numeric(raw: RawTable, canonical: str, integer: bool = False) -> pa.Array:
    """A numeric column; InputError naming file, line and column at the first non-number."""
    column = text(raw, canonical).combine_chunks()
    target = pa.int64() if integer else pa.float64()
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pattern = (
            r"^[+-]?[0-9]+$"
            if integer
            else r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|Inf|nan|NaN)$"
        )
        ok = pc.fill_null(pc.match_substring_regex(column, pattern), True)
        bad = int(np.flatnonzero(~ok.to_numpy(zero_copy_only=False))[0])
        kind = "an integer" if integer else "a number"
        raise InputError(f"{raw.where(bad, canonical)}: '{column[bad].as_py()}' is not {kind}") from None


def first_null(raw: RawTable, canonical: str, values: pa.Array | pa.ChunkedArray) -> int | None:
    """Row index of the first null in ``values``, if any."""
    nulls = pc.is_null(values)
    if not pc.any(nulls).as_py():
        return None
    return int(np.flatnonzero(nulls.to_numpy(zero_copy_only=False))[0])
