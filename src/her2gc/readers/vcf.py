"""Annotated VCF reader (cyvcf2): gene and protein change from VEP ``CSQ`` or SnpEff ``ANN``.

A VCF without either annotation is refused (genes and protein changes are not guessed
from positions). Per ALT allele the annotation used is the one VEP marks ``PICK``, else
``CANONICAL``, else the first protein-altering one. Records failing ``FILTER`` and
annotations that do not change the protein are skipped and counted. Samples: every
sample with a non-reference genotype, except normals (a sample named ``NORMAL`` or a
TCGA barcode of sample type 10-29); a VCF without samples is named after the file.
VAF from ``FORMAT/AF``, else ``FORMAT/AD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from her2gc.errors import InputError
from her2gc.input_files import read_bytes
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers import variant_class
from her2gc.readers.htslib import captured_htslib_messages
from her2gc.readers.protein import normalise_protein_change
from her2gc.readers.result import SCHEMA, TCGA_SAMPLE, ReadResult
from her2gc.readers.tabular import ReadReport

HOM_REF, HET, UNKNOWN, HOM_ALT = 0, 1, 2, 3  # cyvcf2 gt_types codes


@dataclass(frozen=True)
class AnnotationLayout:
    """Where the fields are in one ``|``-separated annotation entry."""

    tag: str  # CSQ or ANN
    allele: int
    consequence: int
    gene: int
    protein: int
    pick: int | None
    canonical: int | None


def read_vcf(path: Path | str, genomics: GenomicsKnowledge) -> ReadResult:
    """Protein-altering variants of an annotated VCF (plain, gzip or bgzip)."""
    import cyvcf2  # imported here: the other readers work without it

    path = Path(path)
    data = read_bytes(path)  # detects truncated gzip before htslib would stop silently
    expected = _check_records(path, data)
    report = ReadReport()
    htslib: list[str] = []
    with captured_htslib_messages(htslib):
        table, layout = _records(cyvcf2, path, expected, report, genomics)
    _report_htslib(path, htslib, report)
    return ReadResult(path=path, source="vcf", table=table, report=report, extra={"annotation": layout.tag})


def _records(
    cyvcf2: Any, path: Path, data_lines: list[int], report: ReadReport, genomics: GenomicsKnowledge
) -> tuple[pa.Table, AnnotationLayout]:
    try:
        reader = cyvcf2.VCF(str(path))
    except Exception as exc:
        raise InputError(f"{path.name}: not a readable VCF ({' '.join(str(exc).split())[:160]})") from None
    layout = _layout(path, reader.raw_header)
    tumours = _tumour_samples(path, list(reader.samples))
    rows: list[dict[str, Any]] = []
    seen = 0
    records = iter(reader)
    expected = len(data_lines)
    while True:
        line = data_lines[seen] if seen < expected else (data_lines[-1] + 1 if data_lines else 1)
        try:
            record = next(records)
        except StopIteration:
            break
        except Exception:
            raise InputError(
                f"{path.name} line {line}: a record htslib cannot parse (cut short or malformed)"
            ) from None
        seen += 1
        try:
            _read_record(record, line, layout, tumours, rows, report, genomics)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise InputError(
                f"{path.name} line {line}: unreadable record ({' '.join(str(exc).split())[:120]})"
            ) from None
    report.rows_read += seen
    if seen != expected:
        raise InputError(
            f"{path.name}: {expected} data line(s) but {seen} record(s) could be parsed (malformed or truncated file)"
        )
    return (pa.Table.from_pylist(rows, schema=SCHEMA) if rows else SCHEMA.empty_table()), layout


def _report_htslib(path: Path, messages: list[str], report: ReadReport) -> None:
    if messages:
        shown = "; ".join(m[:120] for m in messages[:3]) + (
            f" (+{len(messages) - 3} more)" if len(messages) > 3 else ""
        )
        report.warn(f"{path.name}: htslib said {len(messages)} thing(s): {shown}")


def _check_records(path: Path, data: bytes) -> list[int]:
    """The line number of every data line; a line cut short (fewer than 8 fields) is an error naming it."""
    lines = data.rstrip(b"\n").split(b"\n")
    body = [i + 1 for i, line in enumerate(lines) if line and not line.startswith(b"#")]
    for number in body:
        fields = lines[number - 1].count(b"\t") + 1
        if fields < 8:
            raise InputError(f"{path.name} line {number}: truncated record ({fields} of at least 8 fields)")
    return body


def _layout(path: Path, header: str) -> AnnotationLayout:
    csq = re.search(r'##INFO=<ID=CSQ,.*?Format: ([^">]+)', header)
    if csq:
        names = [n.strip() for n in csq.group(1).split("|")]
        return _positions(
            path, "CSQ", names, {"allele": "Allele", "consequence": "Consequence", "gene": "SYMBOL", "protein": "HGVSp"}
        )
    ann = re.search(r"##INFO=<ID=ANN,.*?Functional annotations: '([^']+)'", header)
    if ann:
        names = [n.strip() for n in ann.group(1).split("|")]
        return _positions(
            path,
            "ANN",
            names,
            {"allele": "Allele", "consequence": "Annotation", "gene": "Gene_Name", "protein": "HGVS.p"},
        )
    raise InputError(
        f"{path.name}: no VEP CSQ or SnpEff ANN annotation in the header (annotate the VCF with VEP or SnpEff first)"
    )


def _positions(path: Path, tag: str, names: list[str], wanted: dict[str, str]) -> AnnotationLayout:
    folded = {n.lower(): i for i, n in enumerate(names)}
    found: dict[str, int] = {}
    for key, name in wanted.items():
        if name.lower() not in folded:
            raise InputError(f"{path.name}: the {tag} header has no '{name}' field (fields: {'|'.join(names)})")
        found[key] = folded[name.lower()]
    return AnnotationLayout(tag=tag, pick=folded.get("pick"), canonical=folded.get("canonical"), **found)


def _tumour_samples(path: Path, samples: list[str]) -> list[tuple[int, str]]:
    if not samples:
        return [(-1, path.name.removesuffix(".gz").removesuffix(".vcf"))]
    tumours = []
    for index, name in enumerate(samples):
        match = TCGA_SAMPLE.match(name)
        if name.strip().lower() in ("normal", "germline") or (match and int(match.group(1)) >= 10):
            continue
        tumours.append((index, name))
    if not tumours:
        raise InputError(f"{path.name}: no tumour sample among {', '.join(samples)}")
    return tumours


def _choose(entries: list[list[str]], layout: AnnotationLayout, genomics: GenomicsKnowledge) -> list[str] | None:
    if not entries:
        return None
    for flag, wanted in ((layout.pick, "1"), (layout.canonical, "YES")):
        if flag is not None:
            flagged = [e for e in entries if len(e) > flag and e[flag] == wanted]
            if flagged:
                return flagged[0]
    altering = [
        e
        for e in entries
        if variant_class.classify_term(e[layout.consequence], genomics)
        not in (variant_class.SKIP, variant_class.UNKNOWN)
    ]
    return (altering or entries)[0]


def _read_record(
    record: Any,
    line: int,
    layout: AnnotationLayout,
    tumours: list[tuple[int, str]],
    rows: list[dict[str, Any]],
    report: ReadReport,
    genomics: GenomicsKnowledge,
) -> None:
    if record.FILTER is not None:
        report.skip("records failing FILTER")
        return
    value = record.INFO.get(layout.tag)
    if not value:
        report.skip(f"records without a {layout.tag} annotation")
        return
    entries = [e.split("|") for e in str(value).split(",")]
    width = max(layout.allele, layout.consequence, layout.gene, layout.protein) + 1
    entries = [e for e in entries if len(e) >= width]
    for allele_index, alt in enumerate(record.ALT, start=1):
        chosen = _choose(
            [e for e in entries if e[layout.allele] in (alt, "-") or len(record.ALT) == 1], layout, genomics
        )
        if chosen is None:
            report.skip(f"alleles without a usable {layout.tag} entry", unit="allele")
            continue
        cls = variant_class.classify_term(chosen[layout.consequence], genomics)
        if cls == variant_class.SKIP:
            report.skip("variants that do not change the protein (synonymous, intronic, UTR...)", unit="allele")
            continue
        if cls == variant_class.UNKNOWN:
            report.skip("unknown consequence terms", unit="allele")
            report.warn(f"line {line}: unknown consequence '{chosen[layout.consequence]}' (skipped)")
            continue
        gene = genomics.aliases.get(chosen[layout.gene].strip().upper(), chosen[layout.gene].strip().upper())
        change = _protein(chosen[layout.protein], line, report)
        cls = variant_class.refine_hotspot(gene, change, cls, genomics)
        for sample_index, sample in tumours:
            carried, vaf = _carrier(record, sample_index, allele_index, len(tumours))
            if carried:
                rows.append(
                    {"sample_id": sample, "gene": gene, "kind": variant_class.KIND_OF_CLASS[cls], "variant_class": cls,
                     "protein_change": change, "copy_number": None, "log2_ratio": None, "vaf": vaf, "line": line}
                )  # fmt: skip


def _protein(text: str, line: int, report: ReadReport) -> str | None:
    if not text.strip():
        return None
    try:
        return normalise_protein_change(text.replace("%3D", "="))  # VEP URL-escapes '='
    except ValueError:
        report.warn(f"line {line}: protein change '{text}' not in HGVS form (kept without protein change)")
        return None


def _carrier(record: Any, sample: int, allele: int, tumour_count: int) -> tuple[bool, float | None]:
    if sample < 0:
        return True, _info_af(record)
    genotype = int(record.gt_types[sample])
    carried = genotype in (HET, HOM_ALT) or (genotype == UNKNOWN and tumour_count == 1)
    return carried, _format_af(record, sample, allele)


def _format_af(record: Any, sample: int, allele: int) -> float | None:
    af = record.format("AF")
    if (
        af is not None
        and af.shape[1] >= allele
        and np.isfinite(af[sample, allele - 1])
        and 0 <= af[sample, allele - 1] <= 1
    ):
        return round(float(af[sample, allele - 1]), 4)
    ad = record.format("AD")
    if ad is not None and ad.shape[1] > allele and ad[sample].min() >= 0 and ad[sample].sum() > 0:
        return round(float(ad[sample, allele] / ad[sample].sum()), 4)
    return None


def _info_af(record: Any) -> float | None:
    value = record.INFO.get("AF")
    if isinstance(value, tuple):
        value = value[0]
    return round(float(value), 4) if isinstance(value, float) and 0 <= value <= 1 else None
