"""ctDNA timepoints (CSV or TSV, plain or gzip): plasma ERBB2 copy number and variant VAFs.

Two layouts, told apart by the presence of a ``gene`` column:

* long -- ``date, erbb2_copy_number, gene, protein_change, vaf``: one row per date and
  variant; ``erbb2_copy_number`` may be repeated on every row of a date or given once;
  a row with no gene carries only the copy number.
* wide -- ``date, erbb2_copy_number`` and one column per variant named ``GENE p.CHANGE``
  (or ``GENE:p.CHANGE``, or just ``GENE``) holding its VAF; an empty cell means not detected.

Optional ``sample_id`` (or ``patient_id``) column when a file holds several patients.
Dates are ISO (``2025-02-01``); VAF is a fraction (0-1) or a percentage written with ``%``;
copy number is a non-negative number. Bad values are errors naming file, line and column;
variants of genes outside the knowledge base are skipped and counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from her2gc.case import CtdnaPoint, CtdnaVariant
from her2gc.errors import InputError
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.protein import normalise_protein_change
from her2gc.readers.tabular import LINE, RawTable, ReadReport, read_delimited

ALIASES: dict[str, list[str]] = {
    "date": ["date", "collection_date", "timepoint_date", "sample_date"],
    "copy_number": ["erbb2_copy_number", "erbb2_cn", "her2_copy_number", "erbb2_plasma_copy_number"],
    "gene": ["gene", "Hugo_Symbol", "symbol"],
    "protein": ["protein_change", "HGVSp_Short", "hgvsp", "protein"],
    "vaf": ["vaf", "allele_fraction", "af", "maf_percent"],
    "sample": ["sample_id", "patient_id", "sample"],
}


@dataclass
class CtdnaResult:
    path: Path
    points_by_sample: dict[str, list[CtdnaPoint]]
    report: ReadReport = field(default_factory=ReadReport)

    @property
    def skipped(self) -> dict[str, int]:
        return self.report.skipped

    def samples(self) -> list[str]:
        return sorted(self.points_by_sample)

    def summary(self) -> str:
        points = sum(len(p) for p in self.points_by_sample.values())
        return f"{self.path.name} (ctdna): {points} timepoint(s); {self.report.accounting()}"


def read_ctdna(path: Path | str, genomics: GenomicsKnowledge) -> CtdnaResult:
    path = Path(path)
    report = ReadReport()
    raw = read_delimited(path, ALIASES, ["date"], report, keep_all_columns=True)
    rows = raw.table.to_pylist()  # ctDNA tables are a handful of rows per patient
    wide = "gene" not in raw.columns
    variant_columns = _variant_columns(raw) if wide else []
    collected: dict[str, dict[dt.date, _Point]] = {}
    for row in rows:
        line = int(row[LINE])
        sample = str(row.get(raw.columns.get("sample", ""), None) or "")
        date = _date(raw, row, line)
        point = collected.setdefault(sample, {}).setdefault(date, _Point(date))
        point.set_copy_number(_number(raw, row, "copy_number", line), line, raw.path.name)
        if wide:
            for column, gene, change in variant_columns:
                vaf = _vaf(raw.path.name, row.get(column), line, column)
                if vaf is not None:
                    point.add(gene, change, vaf, report, genomics)
        elif row.get(raw.columns["gene"]):
            vaf = _vaf(raw.path.name, row.get(raw.columns.get("vaf", "")), line, raw.columns.get("vaf", "vaf"))
            if vaf is None:
                raise InputError(
                    f"{raw.path.name} line {line}, column '{raw.columns.get('vaf', 'vaf')}': a variant needs a VAF"
                )
            change = _change(raw.path.name, row.get(raw.columns.get("protein", "")), line)
            point.add(str(row[raw.columns["gene"]]), change, vaf, report, genomics)
    points = {s: [p.build() for _, p in sorted(d.items())] for s, d in collected.items()}
    return CtdnaResult(path=path, points_by_sample=points, report=report)


@dataclass
class _Point:
    date: dt.date
    copy_number: float | None = None
    line: int | None = None
    variants: list[CtdnaVariant] = field(default_factory=list)

    def set_copy_number(self, value: float | None, line: int, name: str) -> None:
        if value is None:
            return
        if self.copy_number is not None and self.copy_number != value:
            raise InputError(
                f"{name} line {line}: ERBB2 copy number {value:g} for {self.date} differs from {self.copy_number:g} on line {self.line}"
            )
        self.copy_number, self.line = value, line

    def add(self, gene: str, change: str | None, vaf: float, report: ReadReport, genomics: GenomicsKnowledge) -> None:
        symbol = genomics.aliases.get(gene.strip().upper())
        if symbol is None:
            report.skip("ctDNA variants of genes outside the knowledge base", unit="variant")
            return
        self.variants.append(CtdnaVariant(gene=symbol, protein_change=change, vaf=vaf))

    def build(self) -> CtdnaPoint:
        return CtdnaPoint(date=self.date, erbb2_copy_number=self.copy_number, variants=self.variants)


def _variant_columns(raw: RawTable) -> list[tuple[str, str, str | None]]:
    used = set(raw.columns.values()) | {LINE}
    found = []
    for column in raw.table.column_names:
        if column in used or not column.strip():
            continue
        gene, _, rest = column.replace(":", " ").strip().partition(" ")
        change = _change(raw.path.name, rest.strip() or None, raw.header_line, column)
        found.append((column, gene, change))
    return found


def _date(raw: RawTable, row: dict[str, object], line: int) -> dt.date:
    value = row.get(raw.columns["date"])
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(
            f"{raw.path.name} line {line}, column '{raw.columns['date']}': '{value}' is not an ISO date (YYYY-MM-DD)"
        ) from None


def _number(raw: RawTable, row: dict[str, object], key: str, line: int) -> float | None:
    if key not in raw.columns or row.get(raw.columns[key]) is None:
        return None
    value = str(row[raw.columns[key]]).strip()
    try:
        number = float(value)
    except ValueError:
        raise InputError(
            f"{raw.path.name} line {line}, column '{raw.columns[key]}': '{value}' is not a number"
        ) from None
    if not number >= 0:
        raise InputError(f"{raw.path.name} line {line}, column '{raw.columns[key]}': copy number {value} is negative")
    return number


def _vaf(name: str, value: object, line: int, column: str) -> float | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%")) / (100.0 if percent else 1.0)
    except ValueError:
        raise InputError(f"{name} line {line}, column '{column}': '{text}' is not a VAF") from None
    if not 0.0 <= number <= 1.0:
        raise InputError(
            f"{name} line {line}, column '{column}': VAF '{text}' is outside 0-1 (write percentages with %)"
        )
    return number


def _change(name: str, value: object, line: int, column: str = "protein_change") -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        return normalise_protein_change(str(value))
    except ValueError as exc:
        raise InputError(f"{name} line {line}, column '{column}': {exc}") from None
