"""cBioPortal study folders: clinical files with and without their header rows, the clinical
map, sample-to-patient joins (sample file, TCGA barcodes), bad rows counted, never dropped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from her2gc.cohort.study import StudyInput
from her2gc.errors import InputError, KnowledgeBaseError
from her2gc.kb.schema_cohort import load_clinical_map

HEADER_ROWS = "#Patient Identifier\tIHC\n#desc\tdesc\n#STRING\tSTRING\n#1\t1\n"

SAMPLE_FILE = """#Sample Identifier\tPatient Identifier\tOncotree\tIHC\tFISH\tNGS\tPre/post\tStudy call
#A unique sample identifier.\tPatient.\tCode.\tIHC.\tFISH.\tNGS.\tWhen.\tCall.
#STRING\tSTRING\tSTRING\tSTRING\tSTRING\tSTRING\tSTRING\tSTRING
#1\t1\t1\t1\t1\t1\t1\t1
SAMPLE_ID\tPATIENT_ID\tONCOTREE_CODE\tIHC_HER2\tHER2_FISH\tHER2_IMPACT\tIMPACT_PRE_POST\tHER2_IHC_OR_FISH
S-1a\tP-1\tSTAD\tIHC 3+\tNA\tAMP\tPRE-TX\tPOS
S-1b\tP-1\tSTAD\tIHC 0+\tNA\tDIPLOID\tPOST-TX\tNEG
S-2\tP-2\tGEJ\tIHC 2+\t2.6\tAMP\tPRE-TX\tPOS
S-3\tP-3\tSTAD\tIHC 4+\tNA\tDIPLOID\tPRE-TX\tPOS
S-4\tP-4\tESCA\tN/A\tNA\tDIPLOID\tPRE-TX\tNEG
S-5\tP-5\tBLCA\tIHC 1+\tNA\tDIPLOID\tPRE-TX\tNEG
"""

PATIENT_FILE = """PATIENT_ID\tOS_MONTHS\tOS_STATUS\tSMOKING
P-1\t12.5\t1:DECEASED\tyes
P-2\t30.1\t0:LIVING\tno
P-3\t4.0\t1:DECEASED\tno
P-4\t\t\tno
P-5\t8\t1:DECEASED\tyes
"""

CNA_FILE = """Hugo_Symbol\tEntrez_Gene_Id\tS-1a\tS-2\tS-9
ERBB2\t2064\t2\t2\t2
MET\t4233\t0\t2\t0
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "data_clinical_sample.txt").write_text(SAMPLE_FILE, encoding="utf-8")
    (folder / "data_clinical_patient.txt").write_text(PATIENT_FILE, encoding="utf-8")
    with gzip.open(folder / "data_cna.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write(CNA_FILE)
    return folder


@pytest.fixture(scope="module")
def clinical_map(kb: object) -> object:
    return load_clinical_map(known_sources=kb.sources)  # type: ignore[attr-defined]


def test_packaged_map_loads_and_cites_known_sources(kb: object) -> None:
    cmap = load_clinical_map(known_sources=kb.sources)  # type: ignore[attr-defined]
    fields = {a.field for a in cmap.attributes}
    assert {"her2.ihc_score", "her2.ish_ratio", "pdl1.cps", "msi", "tumour.site", "erbb2.ngs_amplified"} <= fields
    assert {e.name for e in cmap.endpoints} >= {"os", "pfs", "her2_first_line"}


def test_every_patient_of_the_study_is_an_item_and_bad_rows_are_errors(
    study: Path, clinical_map: object, genomics: Any
) -> None:
    source = StudyInput(study, clinical_map, genomics)  # type: ignore[arg-type]
    by_id = {item.patient_id: item for item in source.items}
    assert sorted(by_id) == ["P-1", "P-2", "P-3", "P-4", "P-5"]
    assert (
        by_id["P-3"].kind == "error"
        and "IHC_HER2" in str(by_id["P-3"].payload)
        and "'IHC 4+'" in str(by_id["P-3"].payload)
    )
    assert "line 9" in str(by_id["P-3"].payload), (
        "the physical line: four # rows, the header, then S-1a, S-1b, S-2, S-3"
    )
    assert by_id["P-5"].kind == "error" and "ONCOTREE_CODE" in str(by_id["P-5"].payload)
    case = by_id["P-1"].payload
    assert isinstance(case, dict)
    assert [t["setting"] for t in case["her2_tests"]] == ["diagnosis", "post_progression"]
    assert case["tumour"] == {"site": "stomach", "oncotree_code": "STAD"}
    assert {(a["gene"], a["kind"]) for a in case["alterations"]} == {("ERBB2", "amp")}
    two = by_id["P-2"].payload
    assert isinstance(two, dict) and two["her2_tests"][0]["ish"] == {"ratio": 2.6}
    assert {(a["gene"], a["kind"]) for a in two["alterations"]} == {("ERBB2", "amp"), ("MET", "amp")}
    assert source.summary.skipped["alteration rows of samples that match no clinical patient"] == 1
    assert "data_clinical_patient.txt: SMOKING" in source.summary.unmapped_columns
    names = [c.name for c in source.extra_columns]
    assert names[:2] == ["os_months", "os_event"]


def test_study_run_counts_bad_patients_and_keeps_them(study: Path, run, tmp_path: Path) -> None:
    result = run(study, tmp_path / "out", region="US", summary=False)
    assert result.counts["read"] == 5 and result.counts["failed"] == 2 and result.counts["evaluated"] == 3
    rows = {r["patient_id"]: r for r in pq.read_table(tmp_path / "out" / "patients.parquet").to_pylist()}
    assert set(rows) == {"P-1", "P-2", "P-3", "P-4", "P-5"}
    assert rows["P-3"]["error"] and rows["P-3"]["os_months"] == 4.0, "a bad patient keeps its end points"
    assert rows["P-1"]["os_event"] == 1 and rows["P-2"]["os_event"] == 0
    assert rows["P-4"]["her2_binary"] == "unknown"
    assert any("SMOKING" in m for m in result.messages), "unmapped columns are listed on stderr"
    run_json = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert "data_clinical_patient.txt: SMOKING" in run_json["unmapped_columns"]
    _documented_queries_run(tmp_path / "out" / "cohort.duckdb")


DOCS = Path(__file__).resolve().parents[2] / "docs" / "cohort.md"


def _documented_queries_run(database: Path) -> None:
    """The three example queries of docs/cohort.md run on a study's cohort.duckdb."""
    import re

    import duckdb

    sql = re.search(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert sql is not None
    con = duckdb.connect(str(database), read_only=True)
    queries = [q for q in sql.group(1).split(";") if "SELECT" in q]
    assert len(queries) == 3
    for query in queries:
        con.execute(query).fetchall()


def test_documented_clinical_map_example_loads(tmp_path: Path) -> None:
    import re

    example = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert example is not None
    path = tmp_path / "map.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    cmap = load_clinical_map(path)
    assert cmap.attributes[0].columns == ["HER2_IHC_LOCAL"] and cmap.defaults[0].field == "tumour.site"


def test_clinical_file_without_header_rows_reads_alike(study: Path, clinical_map: object, genomics: Any) -> None:
    with_rows = StudyInput(study, clinical_map, genomics)  # type: ignore[arg-type]
    plain = "\n".join(line for line in SAMPLE_FILE.splitlines() if not line.startswith("#")) + "\n"
    (study / "data_clinical_sample.txt").write_text(plain, encoding="utf-8")
    without = StudyInput(study, clinical_map, genomics)  # type: ignore[arg-type]
    assert [i.payload for i in with_rows.items if i.kind == "case"] == [
        i.payload for i in without.items if i.kind == "case"
    ]


def test_user_clinical_map_comes_first(study: Path, kb: object, tmp_path: Path, genomics: Any) -> None:
    user = tmp_path / "map.yaml"
    user.write_text(
        "schema: her2gc.clinical_map/1\n"
        "attributes:\n"
        "  - {field: her2.ihc_score, columns: [IHC_HER2], values: {'IHC 4+': '3+', 'IHC 3+': '3+', 'IHC 2+': '2+', 'IHC 1+': '1+', 'IHC 0+': '0'}}\n"
        "carry:\n  - {name: smoking, columns: [SMOKING]}\n",
        encoding="utf-8",
    )
    cmap = load_clinical_map(user, known_sources=kb.sources)  # type: ignore[attr-defined]
    source = StudyInput(study, cmap, genomics)
    by_id = {item.patient_id: item for item in source.items}
    assert by_id["P-3"].kind == "case"
    assert "smoking" in [c.name for c in source.extra_columns]
    assert not any("SMOKING" in c for c in source.summary.unmapped_columns)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("attributes: [{field: her2.ihc_score, columns: [X], values: {a: '4+'}}]", "is not one of"),
        ("attributes: [{field: no_such_field, columns: [X]}]", "attributes[0].field"),
        (
            "endpoints: [{name: OS, label: x, kind: survival, time_columns: [a], time_unit: months, event_column: b, event: {}}]",
            "lower-case",
        ),
        ("[1, 2]", "expected a mapping"),
    ],
)
def test_bad_user_map_is_one_line_input_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml") as caught:
        load_clinical_map(path)
    assert message in caught.value.one_line() and "\n" not in caught.value.one_line()
    assert not isinstance(caught.value, KnowledgeBaseError)


def test_tcga_barcodes_join_samples_to_patients(tmp_path: Path, clinical_map: object, genomics: Any) -> None:
    folder = tmp_path / "tcga"
    folder.mkdir()
    (folder / "data_clinical_patient.txt").write_text(
        "Tumor_Sample_Barcode\ttumor_tissue_site\tvital_status\tdays_to_death\tdays_to_last_followup\n"
        "TCGA-AA-0001\tStomach\t1\t300\t\nTCGA-AA-0002\tStomach\t0\t\t600\n",
        encoding="utf-8",
    )
    (folder / "data_cna.txt").write_text(
        "Hugo_Symbol\tTCGA-AA-0001-01A-11D-A1-01\tTCGA-AA-0001-11A-01D-A1-01\tTCGA-AA-0002-01A-11D-A1-01\tTCGA-ZZ-9999-01A-11D-A1-01\n"
        "ERBB2\t2\t2\t0\t2\n",
        encoding="utf-8",
    )
    source = StudyInput(folder, clinical_map, genomics)  # type: ignore[arg-type]
    first, second = source.items
    assert first.payload["alterations"][0]["sample_id"] == "TCGA-AA-0001-01A-11D-A1-01"  # type: ignore[index]
    assert second.payload["alterations"] == []  # type: ignore[index]
    months = dict(zip([c.name for c in source.extra_columns], first.extra, strict=False))["os_months"]
    assert months == pytest.approx(300 / 30.4375, abs=1e-6)
    assert source.summary.skipped["alteration rows of samples that match no clinical patient"] == 1


def test_study_without_clinical_files_cannot_be_read(tmp_path: Path, clinical_map: object, genomics: Any) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "data_clinical_sample.txt").write_text("#only\n#header\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"data_clinical_sample\.txt: cannot parse"):
        StudyInput(folder, clinical_map, genomics)  # type: ignore[arg-type]
    (folder / "data_clinical_sample.txt").write_text("FOO\tBAR\n1\t2\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: no sample id column"):
        StudyInput(folder, clinical_map, genomics)  # type: ignore[arg-type]
    (folder / "data_clinical_sample.txt").unlink()
    with pytest.raises(InputError, match="no data_clinical_patient or data_clinical_sample"):
        StudyInput(folder, clinical_map, genomics)  # type: ignore[arg-type]


IHC_VALUES = ["IHC 0+", "IHC 1+", "IHC 2+", "IHC 3+", "0", "1+", "2+", "3+", "NA", "N/A", ""]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from([*IHC_VALUES, "weird", "IHC 5+"]), st.sampled_from(["STAD", "GEJ", "ESCA", "XYZ"])),
        min_size=1,
        max_size=12,
    )
)
def test_no_patient_is_ever_dropped(
    rows: list[tuple[str, str]], clinical_map: object, tmp_path_factory: pytest.TempPathFactory, genomics: Any
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    body = "".join(f"S{i}\tP{i}\t{ihc}\t{code}\n" for i, (ihc, code) in enumerate(rows))
    (folder / "data_clinical_sample.txt").write_text(
        "SAMPLE_ID\tPATIENT_ID\tIHC_HER2\tONCOTREE_CODE\n" + body, encoding="utf-8"
    )
    source = StudyInput(folder, clinical_map, genomics)  # type: ignore[arg-type]
    assert sorted(i.patient_id for i in source.items) == sorted(f"P{i}" for i in range(len(rows)))
    for item, (ihc, code) in zip(sorted(source.items, key=lambda i: int(i.patient_id[1:])), rows, strict=False):
        bad = ihc in ("weird", "IHC 5+") or code == "XYZ"
        assert (item.kind == "error") == bad, (ihc, code, item.payload)


def test_study_on_dask_gives_the_bytes_of_the_embedded_run(
    study: Path, run, tmp_path: Path, no_dask_warnings: None
) -> None:
    distributed = pytest.importorskip("distributed")
    from .conftest import read_bytes

    embedded = run(study, tmp_path / "embedded", region="EU", summary=False, workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        on_dask = run(study, tmp_path / "dask", region="EU", summary=False, dask=cluster.scheduler_address)
    assert read_bytes(embedded.outdir) == read_bytes(on_dask.outdir)
