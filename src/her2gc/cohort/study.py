"""A cBioPortal study folder as cohort input: one case per patient.

Clinical files give each patient's case fields (:mod:`her2gc.cohort.clinical`);
``data_mutations*``, ``data_cna*`` and ``*.seg`` files (plain or ``.gz``) give the
alterations, read by the package's sequencing readers into Arrow tables, filtered to
knowledge-base genes, resolved to patients and de-duplicated column-wise. A sample
resolves to its patient through the sample file, else through the first three fields of
its TCGA barcode (``TCGA-BR-8589-01A`` -> ``TCGA-BR-8589``), else when it is a patient id
itself; samples that resolve to no clinical patient are counted, never merged into
someone else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.cohort import clinical as cl
from her2gc.cohort.imports import TCGA_SAMPLE, ReadReport, ReadResult, in_knowledge_base, read_cna, read_maf, read_seg
from her2gc.cohort.items import ExtraColumn, InputSummary, Partition, WorkItem
from her2gc.cohort.patients import RowRecord, assemble_case, row_records
from her2gc.errors import InputError
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.kb.schema_cohort import ClinicalMap

_PLAIN_OR_GZ = r"(?:\.gz)?$"
PATIENT_FILE = re.compile(r"^data_clinical_patient.*\.(?:txt|tsv)" + _PLAIN_OR_GZ, re.IGNORECASE)
SAMPLE_FILE = re.compile(r"^data_clinical_sample.*\.(?:txt|tsv)" + _PLAIN_OR_GZ, re.IGNORECASE)
LEGACY_FILE = re.compile(r"^data_clinical\.(?:txt|tsv)" + _PLAIN_OR_GZ, re.IGNORECASE)
MUTATION_FILE = re.compile(r"^data_mutations.*\.(?:txt|maf|tsv)" + _PLAIN_OR_GZ, re.IGNORECASE)
CNA_FILE = re.compile(r"^data_cna.*\.(?:txt|tsv)" + _PLAIN_OR_GZ, re.IGNORECASE)
SEG_FILE = re.compile(r"\.seg" + _PLAIN_OR_GZ, re.IGNORECASE)
# Continuous copy-number matrices share the data_cna prefix but are not discrete calls.
CONTINUOUS_CNA = re.compile(r"log2|linear|continuous", re.IGNORECASE)
STUDY_BUILDS = {"hg19": "GRCh37", "grch37": "GRCh37", "hg38": "GRCh38", "grch38": "GRCh38"}


def patient_of_barcode(key: str) -> str:
    """A TCGA sample barcode's patient (first three fields); other ids unchanged."""
    return key[:12] if TCGA_SAMPLE.match(key) else key


def study_build(folder: Path) -> str | None:
    """The genome build ``meta_study.txt`` names (``reference_genome: hg19``), if any."""
    meta = folder / "meta_study.txt"
    if not meta.is_file():
        return None
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "reference_genome":
            return STUDY_BUILDS.get(value.strip().lower())
    return None


@dataclass
class StudyInput:
    """Every patient of a study folder, assembled once when the input is opened."""

    path: Path
    cmap: ClinicalMap
    genomics: GenomicsKnowledge  # the knowledge base's genes, hotspots and copy-number rules
    build: str | None = None
    summary: InputSummary = field(init=False)
    total: int = field(init=False)
    extra_columns: tuple[ExtraColumn, ...] = field(init=False)
    items: list[WorkItem] = field(init=False)
    clinical: pa.Table = field(init=False)
    build_used: str = field(init=False)

    def __post_init__(self) -> None:
        self.summary = InputSummary(kind="study", path=str(self.path))
        self.build_used = self.build or study_build(self.path) or "GRCh37"
        names = sorted(p.name for p in self.path.iterdir() if p.is_file())
        files = _clinical_files(self.path, names, self.cmap, self.summary)
        records = {id(f): row_records(f, self.cmap, self.summary.warnings) for f in files}
        sample_to_patient = {
            k: p for f in files if f.level == "sample" for k, p in zip(f.keys, f.patients, strict=False) if k and p
        }
        patients = _patients(files, self.summary)
        alterations = _alterations(
            self.path, names, self.build_used, self.genomics, sample_to_patient, set(patients), self.summary
        )
        self.extra_columns = _extra_columns(files, self.cmap)
        self.items = _items(
            self.path.name, patients, files, records, alterations, self.cmap, self.extra_columns, self.summary
        )
        self.total = len(self.items)
        if self.total == 0:
            raise InputError(f"{self.path}: the clinical files name no patient")
        self.clinical = pa.concat_tables(
            [cl.long_table(f, [_patient_key(f, r) for r in range(len(f.keys))]) for f in files]
        )
        self.summary.unmapped_columns = [f"{f.name}: {c}" for f in files for c in f.unused_columns()]
        self.summary.files = names

    def partitions(self, size: int) -> Iterator[Partition]:
        for index, start in enumerate(range(0, len(self.items), size)):
            yield Partition(index, tuple(self.items[start : start + size]))

    def close(self) -> None:
        return None

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256()
        for path in sorted(p for p in self.path.iterdir() if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return {
            "kind": "study",
            "path": str(self.path.resolve()),
            "sha256": digest.hexdigest(),
            "build": self.build_used,
        }


def _clinical_files(
    folder: Path, names: Sequence[str], cmap: ClinicalMap, summary: InputSummary
) -> list[cl.ClinicalFile]:
    report = ReadReport()
    files = []
    for name in names:
        if PATIENT_FILE.match(name):
            files.append(cl.read_clinical_file(folder / name, "patient", cmap, report))
        elif SAMPLE_FILE.match(name):
            files.append(cl.read_clinical_file(folder / name, "sample", cmap, report))
        elif LEGACY_FILE.match(name):
            # The old single clinical file: sample-level when it has a sample column.
            probe = cl.read_clinical_file(folder / name, "patient", cmap, ReadReport())
            has_samples = probe.column(cmap.sample_id_columns) not in (None, probe.column(cmap.patient_id_columns))
            files.append(cl.read_clinical_file(folder / name, "sample", cmap, report) if has_samples else probe)
    for reason, count in report.skipped.items():
        summary.skip(reason, count)
    summary.warnings.extend(report.warnings)
    if not files:
        raise InputError(f"{folder}: no data_clinical_patient or data_clinical_sample file")
    return files


def _patient_key(clinical: cl.ClinicalFile, row: int) -> str | None:
    key = clinical.patients[row]
    return None if key is None else patient_of_barcode(key)


def _patients(files: Sequence[cl.ClinicalFile], summary: InputSummary) -> list[str]:
    ids: set[str] = set()
    for clinical in files:
        keys = [_patient_key(clinical, row) for row in range(len(clinical.keys))]
        summary.skip(f"{clinical.name}: rows without a {clinical.level} id", sum(1 for k in clinical.keys if k is None))
        ids.update(k for k in keys if k)
    return sorted(ids)


def _resolve(sample: str, sample_to_patient: dict[str, str], patients: set[str]) -> str | None:
    """The patient of a sequenced sample: sample file, TCGA barcode, or a patient id itself."""
    if sample in sample_to_patient:
        return patient_of_barcode(sample_to_patient[sample])
    candidate = patient_of_barcode(sample)
    return candidate if candidate in patients else None


def _genomic_results(
    folder: Path, names: Sequence[str], build: str, genomics: GenomicsKnowledge, summary: InputSummary
) -> list[ReadResult]:
    results = []
    for name in names:
        path = folder / name
        if MUTATION_FILE.match(name):
            results.append(read_maf(path, genomics))
        elif CNA_FILE.match(name):
            if CONTINUOUS_CNA.search(name):
                summary.skip(f"{name}: continuous copy-number matrix, not discrete calls (file not read)")
                continue
            results.append(read_cna(path, genomics))
        elif SEG_FILE.search(name):
            results.append(read_seg(path, genomics, build=build))
    return results


def _alterations(
    folder: Path,
    names: Sequence[str],
    build: str,
    genomics: GenomicsKnowledge,
    sample_to_patient: dict[str, str],
    patients: set[str],
    summary: InputSummary,
) -> dict[str, list[dict[str, Any]]]:
    """Knowledge-base alterations per patient, one per (gene, kind, protein change)."""
    results = _genomic_results(folder, names, build, genomics, summary)
    if not results:
        return {}
    for result in results:
        summary.warnings.append(result.summary())
        summary.warnings.extend(result.warnings)
    table = pa.concat_tables([r.table for r in results])
    known = in_knowledge_base(table.column("gene"), genomics)
    summary.skip(
        "alteration rows in genes outside the knowledge base (not part of any case)",
        table.num_rows - (pc.sum(known).as_py() or 0),
    )
    table = table.filter(known)
    samples = table.column("sample_id").combine_chunks()
    encoded = pc.dictionary_encode(samples)
    resolved = pa.array([_resolve(s, sample_to_patient, patients) for s in encoded.dictionary.to_pylist()], pa.string())
    patient = pc.take(resolved, encoded.indices)
    unresolved = pc.is_null(patient)
    summary.skip("alteration rows of samples that match no clinical patient", pc.sum(unresolved).as_py() or 0)
    table = table.append_column("patient_id", patient).filter(pc.invert(unresolved))
    # One alteration per patient and (gene, kind, protein change): the highest copy number and
    # allele fraction across the patient's samples, and the first sample that shows it.
    table = table.append_column("change_key", pc.fill_null(table.column("protein_change"), ""))
    grouped = table.group_by(["patient_id", "gene", "kind", "change_key"]).aggregate(
        [("protein_change", "min"), ("copy_number", "max"), ("vaf", "max"), ("sample_id", "min")]
    )
    before = table.num_rows
    summary.skip(
        "alteration rows repeating one a patient already has (other samples or files)", before - grouped.num_rows
    )
    grouped = grouped.sort_by(
        [("patient_id", "ascending"), ("gene", "ascending"), ("kind", "ascending"), ("change_key", "ascending")]
    )
    by_patient: dict[str, list[dict[str, Any]]] = {}
    for row in grouped.to_pylist():  # the knowledge-base alterations only: a few per patient
        by_patient.setdefault(row["patient_id"], []).append(
            {
                "gene": row["gene"],
                "kind": row["kind"],
                "protein_change": row["protein_change_min"],
                "copy_number": row["copy_number_max"],
                "vaf": row["vaf_max"],
                "source": "tissue",
                "sample_id": row["sample_id_min"],
            }
        )
    return by_patient


def _extra_columns(files: Sequence[cl.ClinicalFile], cmap: ClinicalMap) -> tuple[ExtraColumn, ...]:
    endpoints: dict[str, str] = {}
    carried: list[str] = []
    for clinical in files:
        for column in cl.map_endpoints(clinical, cmap.endpoints, []):
            endpoints.setdefault(column.endpoint.name, column.endpoint.label)
        carried.extend(c.name for c in cl.map_carried(clinical, cmap) if c.name not in carried)
    columns: list[ExtraColumn] = []
    for name, label in endpoints.items():
        columns.append(ExtraColumn(f"{name}_months", "float64", label, "endpoint_time"))
        columns.append(ExtraColumn(f"{name}_event", "int64", label, "endpoint_event"))
    columns.extend(ExtraColumn(name, "string") for name in carried)
    return tuple(columns)


def _items(
    study: str,
    patients: Sequence[str],
    files: Sequence[cl.ClinicalFile],
    records: dict[int, list[RowRecord]],
    alterations: dict[str, list[dict[str, Any]]],
    cmap: ClinicalMap,
    extra_columns: Sequence[ExtraColumn],
    summary: InputSummary,
) -> list[WorkItem]:
    rows_of: dict[str, list[RowRecord]] = {pid: [] for pid in patients}
    for clinical in files:
        for row, record in enumerate(records[id(clinical)]):
            pid = _patient_key(clinical, row)
            if pid:
                rows_of[pid].append(record)
    items = []
    disagreements: dict[str, int] = {}
    for seq, pid in enumerate(patients):
        # Patient-file rows first, then samples in sample-id order: the order values are taken in.
        rows = sorted(rows_of[pid], key=lambda r: (r.level != "patient", r.sample_id or "", r.line))
        source = f"{study} patient {pid}"
        data, error, extra, disagreeing = assemble_case(pid, rows, alterations.get(pid, []), cmap, extra_columns)
        for name in disagreeing:
            disagreements[name] = disagreements.get(name, 0) + 1
        if error is not None:
            items.append(WorkItem(seq, source, "error", error, pid, extra))
        else:
            assert data is not None
            items.append(WorkItem(seq, source, "case", data, pid, extra))
    for name, count in sorted(disagreements.items()):
        summary.warnings.append(
            f"{count} patient(s) whose clinical rows disagree on {name}: the patient-file value, else the first sample's, is used"
        )
    return items
