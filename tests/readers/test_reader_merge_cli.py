"""Merging files into a case, and the annotate command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from her2gc.case import Case
from her2gc.cli.sequencing import annotate_command, merge_sequencing
from her2gc.errors import InputError
from her2gc.readers import annotate_results, merge_into_case, read_cna, read_maf, read_seg
from her2gc.readers.merge import merge_with_report
from her2gc.readers.sequencing import SequencingInputs
from support import genomics, kb


def test_several_samples_need_a_choice(case: Case, data_dir: Path) -> None:
    with pytest.raises(
        InputError, match=r"tiny\.seg: holds 2 samples \(S1, S2\), none of them this case's; choose one with --sample"
    ):
        merge_into_case(case, SequencingInputs(seg=data_dir / "tiny.seg"), kb())


def test_merge_one_sample(case: Case, data_dir: Path) -> None:
    merged, messages = merge_with_report(
        case, SequencingInputs(cna=data_dir / "tiny_cna.txt", ctdna=data_dir / "ctdna_long.csv", sample="S1"), kb()
    )
    assert [(a.gene, a.kind, a.sample_id) for a in merged.alterations] == [
        ("ERBB2", "amp", "S1"),
        ("PTEN", "del", "S1"),
    ]
    assert "tiny_cna.txt: 1 rows for genes outside the knowledge base were not merged" in messages
    assert [p.erbb2_copy_number for p in merged.ctdna] == [8.2, 3.1]
    assert case.alterations == []  # the input case is unchanged


def test_merge_tcga_patient_barcode_and_duplicates(case: Case, data_dir: Path) -> None:
    once = merge_into_case(case, SequencingInputs(maf=data_dir / "tumour.maf", sample="TCGA-AA-0001"), kb())
    assert [a.label() for a in once.alterations] == ["PIK3CA p.H1047R", "ERBB2 p.L755S", "PTEN p.R130*"]
    twice, messages = merge_with_report(
        once, SequencingInputs(maf=data_dir / "tumour.maf.gz", sample="TCGA-AA-0001"), kb()
    )
    assert len(twice.alterations) == 3
    assert "tumour.maf.gz: 3 duplicate alteration(s) not merged again" in messages


def test_another_persons_single_sample_is_not_merged(case: Case, data_dir: Path) -> None:
    """CONTRACT (sequencing merge): ids that do not match the case exit 2 naming the ids found."""
    with pytest.raises(InputError, match=r"tumour\.maf.*not this case's \(patient_id 'P-1'\)"):
        merge_into_case(case, SequencingInputs(maf=data_dir / "tumour.maf"), kb())


def test_the_cases_own_sample_ids_select_its_sample(case: Case, data_dir: Path) -> None:
    own = case.model_copy(update={"sample_ids": ["S2"]})
    merged = merge_into_case(own, SequencingInputs(seg=data_dir / "tiny.seg", cn_method="fixed"), kb())
    assert {a.sample_id for a in merged.alterations} == {"S2"}


def test_unknown_sample_lists_the_samples(case: Case, data_dir: Path) -> None:
    with pytest.raises(InputError, match=r"no sample 'S9' \(samples: S1, S2\)"):
        merge_into_case(case, SequencingInputs(seg=data_dir / "tiny.seg", sample="S9"), kb())


def test_annotate_uses_the_mechanism_lookup_once_per_distinct_alteration(data_dir: Path) -> None:
    calls: list[tuple[str, str, str | None]] = []

    def lookup(gene: str, kind: str, change: str | None) -> list[str]:
        calls.append((gene, kind, change))
        return ["met_amplification"] if (gene, kind) == ("MET", "amp") else []

    results = [
        read_maf(data_dir / "tumour.maf", genomics()),
        read_cna(data_dir / "tiny_cna.txt", genomics()),
        read_seg(data_dir / "tiny.seg", genomics()),
    ]
    table = annotate_results(results, lookup, genomics())
    assert table.column_names[:6] == ["sample_id", "gene", "kind", "protein_change", "copy_number", "mechanism_ids"]
    rows = table.to_pylist()
    assert {r["mechanism_ids"] for r in rows if r["gene"] == "MET"} == {"met_amplification"}
    assert all(g not in {"ABCA1", "NOTAGENE"} for g, _, _ in calls)  # outside the knowledge base: not looked up
    assert len(calls) == len(set(calls))


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("annotate")(annotate_command)
    app.command("other")(lambda: None)
    return app


def test_annotate_command_writes_tsv_and_counts(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    result = CliRunner().invoke(
        _app(),
        ["annotate", "--maf", str(data_dir / "tumour.maf.gz"), "--seg", str(data_dir / "tiny.seg"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].split("\t")[:6] == ["sample_id", "gene", "kind", "protein_change", "copy_number", "mechanism_ids"]
    assert any(line.startswith("TCGA-AA-0001-01A\tPIK3CA\tmut\tp.H1047R\t") for line in lines)
    assert any(line.startswith("S1\tERBB2\tamp\t\t8.57\t") for line in lines)
    assert "6 row(s) read: 4 used, 2 skipped" in result.output  # stderr is mixed into output by the runner


def test_annotate_command_needs_an_input() -> None:
    result = CliRunner().invoke(_app(), ["annotate"])
    assert isinstance(result.exception, InputError)


def test_load_sequencing_into_case(case: Case, data_dir: Path) -> None:
    merged, accounts = merge_sequencing(
        case, SequencingInputs(seg=data_dir / "tiny.seg", sample="S2", cn_method="fixed"), kb()
    )
    assert any("row(s) read" in line for line in accounts)
    assert [(a.gene, a.kind) for a in merged.alterations] == [("PTEN", "del")]
