"""The command lines: ``her2gc evaluate BUNDLE.json`` (recognised by ``resourceType``),
``her2gc evaluate CASE --format fhir`` and ``her2gc fhir import BUNDLE.json [-o CASE.yaml]``;
refusals are one line on stderr and exit 2."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from fhir_helpers import GOLDEN, REPO

import her2gc
from her2gc.cli import main

EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"


def test_evaluate_a_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "evaluate",
                str(GOLDEN / "first_line_her2_positive.json"),
                "--region",
                "US",
                "--format",
                "json",
                "--no-model",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (
        report["patient_id"] == "MRN-1001"
        and report["recommendations"][0]["regimen_id"] == "pembrolizumab-trastuzumab-chemo"
    )
    assert any(w["code"] == "fhir_not_mapped" and "Practitioner" in w["message"] for w in report["warnings"])
    assert "mapped to a case; 1 warning(s)" in captured.err


def test_evaluate_a_gzipped_bundle_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "record.json.gz"
    packed.write_bytes(gzip.compress((GOLDEN / "her2_low.json").read_bytes()))
    assert main(["evaluate", str(packed), "--region", "CN", "--no-model"]) == 0
    assert "HER2 NEGATIVE | CSCO tier: low" in capsys.readouterr().out


def test_format_fhir_writes_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.fhir.json"
    assert main(["evaluate", str(EXAMPLE), "--format", "fhir", "-o", str(out), "--no-model"]) == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["entry"][0]["resource"]["resourceType"] == "DiagnosticReport"


def test_a_bundle_in_fhir_out_carries_the_mapping_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "evaluate",
                str(GOLDEN / "first_line_her2_positive.json"),
                "--region",
                "US",
                "--format",
                "fhir",
                "--no-model",
            ]
        )
        == 0
    )
    bundle = json.loads(capsys.readouterr().out)
    notes = [e["valueAnnotation"]["text"] for e in bundle["entry"][0]["resource"].get("extension", [])]
    assert any("Practitioner" in note for note in notes)


def test_fhir_import_writes_a_reviewable_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "case.yaml"
    assert (
        main(["fhir", "import", str(GOLDEN / "second_line_after_trastuzumab.json"), "-o", str(out), "--region", "us"])
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# her2gc case mapped from the FHIR record")
    assert "# warning: her2_tests[1].setting: post_progression" in text
    case = her2gc.read_case(out)
    assert case.region == "US" and case.decision_line == 2 and case.her2_tests[1].setting == "post_progression"
    assert yaml.safe_load(text)["tumour"]["site"] == "gej"


def test_fhir_import_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", "import", str(GOLDEN / "her2_low.json")]) == 0
    assert "patient_id: MRN-1003" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("refuse_not_gastric", "C18.7"), ("refuse_no_her2_result", "no HER2 result"), ("refuse_unknown_code", "HER2-POS")],
)
def test_refusals_are_one_line_exit_2(name: str, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["evaluate", str(GOLDEN / f"{name}.json"), "--region", "US"],
        ["fhir", "import", str(GOLDEN / f"{name}.json")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_case_files_work_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EXAMPLE), "--format", "json", "--no-model"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["patient_id"] == "EXAMPLE-001" and "fhir:" not in captured.err


def test_fhir_server_needs_a_patient(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--fhir-server", "http://127.0.0.1:9/fhir"]) == 2
    assert "--fhir-server and --patient go together" in capsys.readouterr().err


def test_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EXAMPLE), "--format", "xml"]) == 2
    assert "text, json, html, fhir" in capsys.readouterr().err
