"""Merge sequencing files into a case: alterations and ctDNA timepoints of one sample.

``merge_into_case`` returns a new :class:`Case`; ``merge_with_report`` also returns the
messages a caller must show (rows skipped, genes outside the knowledge base not merged,
duplicates). A file holding several samples needs ``sample``; the error lists them.
A TCGA patient barcode (``TCGA-B7-5816``) selects that patient's tumour aliquots.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.case import Alteration, Case, CtdnaPoint
from her2gc.errors import InputError
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.cna import read_cna
from her2gc.readers.ctdna import CtdnaResult, read_ctdna
from her2gc.readers.maf import read_maf
from her2gc.readers.result import ReadResult, in_knowledge_base
from her2gc.readers.seg import read_seg
from her2gc.readers.sequencing import SequencingInputs
from her2gc.readers.vcf import read_vcf


def read_all(inputs: SequencingInputs, genomics: GenomicsKnowledge) -> list[ReadResult]:
    """Every given alteration file, read."""
    results = []
    if inputs.maf is not None:
        results.append(read_maf(inputs.maf, genomics))
    if inputs.vcf is not None:
        results.append(read_vcf(inputs.vcf, genomics))
    if inputs.cna is not None:
        results.append(read_cna(inputs.cna, genomics))
    if inputs.seg is not None:
        results.append(read_seg(inputs.seg, genomics, build=inputs.build, thresholds=inputs.thresholds(genomics)))
    return results


def merge_into_case(case: Case, inputs: SequencingInputs, kb: KnowledgeBase) -> Case:
    """A new case with the alterations and ctDNA timepoints of ``inputs.sample`` added."""
    merged, _ = merge_with_report(case, inputs, kb)
    return merged


def merge_with_report(case: Case, inputs: SequencingInputs, kb: KnowledgeBase) -> tuple[Case, list[str]]:
    """The merged case and the messages a caller must show (counts, skipped rows, duplicates)."""
    messages: list[str] = []
    genomics = kb.genomics
    results = read_all(inputs, genomics)
    alterations = list(case.alterations)
    for result in results:
        messages.append(result.summary())
        messages.extend(result.warnings)
        alterations.extend(_alterations(result, inputs.sample, alterations, messages, genomics, case))
    points = list(case.ctdna)
    if inputs.ctdna is not None:
        points = _merge_ctdna(points, read_ctdna(inputs.ctdna, genomics), inputs.sample, messages, case)
    data: dict[str, Any] = case.model_dump(by_alias=True)
    data["alterations"] = [a.model_dump() for a in alterations]
    data["ctdna"] = [p.model_dump() for p in points]
    return Case.model_validate(data, context={"vocabulary": kb.vocabulary}), messages


def _matches(sample_id: str, wanted: str) -> bool:
    return sample_id == wanted or (wanted.startswith("TCGA-") and sample_id.startswith(wanted + "-"))


def _shown(samples: list[str]) -> str:
    return ", ".join(samples[:10]) + (f" ... ({len(samples)} in all)" if len(samples) > 10 else "")


def _choose_sample(name: str, samples: list[str], sample: str | None, case: Case) -> list[str]:
    """The file's samples of this case. Without ``--sample``, a sample is the case's when its id
    is the case's ``patient_id`` or one of its ``sample_ids`` (a TCGA patient barcode takes that
    patient's aliquots); another person's data is never merged silently."""
    if sample is None:
        own = [case.patient_id, *case.sample_ids]
        chosen = [s for s in samples if any(_matches(s, wanted) for wanted in own)]
        if chosen or not samples:
            return chosen
        if len(samples) > 1:
            raise InputError(
                f"{name}: holds {len(samples)} samples ({_shown(samples)}), none of them this case's; choose one with --sample"
            )
        ids = f"patient_id '{case.patient_id}'" + (
            f", sample_ids {', '.join(case.sample_ids)}" if case.sample_ids else ""
        )
        raise InputError(
            f"{name}: its sample '{samples[0]}' is not this case's ({ids}); name it with --sample or add it to the case's sample_ids"
        )
    chosen = [s for s in samples if _matches(s, sample)]
    if not chosen and samples:
        shown = ", ".join(samples[:10]) + (" ..." if len(samples) > 10 else "")
        raise InputError(f"{name}: no sample '{sample}' (samples: {shown})")
    return chosen


def _alterations(
    result: ReadResult,
    sample: str | None,
    existing: list[Alteration],
    messages: list[str],
    genomics: GenomicsKnowledge,
    case: Case,
) -> list[Alteration]:
    samples = list(result.extra.get("samples") or result.samples())  # type: ignore[call-overload]
    chosen = _choose_sample(result.path.name, samples, sample, case)
    table = result.table.filter(pc.is_in(result.table.column("sample_id"), value_set=pa.array(chosen, pa.string())))
    known = in_knowledge_base(table.column("gene"), genomics)
    outside = table.num_rows - (pc.sum(known).as_py() or 0)
    if outside:
        messages.append(f"{result.path.name}: {outside} rows for genes outside the knowledge base were not merged")
    rows = table.filter(known).to_pylist()
    added: list[Alteration] = []
    duplicates = 0
    for row in rows:  # one sample's knowledge-base alterations: a handful of rows
        alteration = Alteration(
            gene=row["gene"], kind=row["kind"], protein_change=row["protein_change"], copy_number=row["copy_number"],
            vaf=row["vaf"], source="tissue", sample_id=row["sample_id"],
        )  # fmt: skip
        if any(_same(alteration, other) for other in [*existing, *added]):
            duplicates += 1
            continue
        added.append(alteration)
    if duplicates:
        messages.append(f"{result.path.name}: {duplicates} duplicate alteration(s) not merged again")
    return added


def _same(a: Alteration, b: Alteration) -> bool:
    return (a.gene, a.kind, a.protein_change, a.source) == (b.gene, b.kind, b.protein_change, b.source)


def _merge_ctdna(
    points: list[CtdnaPoint], result: CtdnaResult, sample: str | None, messages: list[str], case: Case
) -> list[CtdnaPoint]:
    messages.append(result.summary())
    messages.extend(result.report.warnings)
    named = [s for s in result.samples() if s]
    chosen = _choose_sample(result.path.name, named, sample, case) if named else [""]
    by_date = {p.date: p for p in points}
    for key in chosen:
        for point in result.points_by_sample.get(key, []):
            before = by_date.get(point.date)
            if before is not None and before != point:
                raise InputError(
                    f"{result.path.name}: timepoint {point.date} differs from the case's ctdna entry of that date"
                )
            by_date[point.date] = point
    return [by_date[d] for d in sorted(by_date)]
