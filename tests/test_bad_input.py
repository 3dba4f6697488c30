"""Bad input: exit code 2 and one line naming the file and the field, never a traceback."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from her2gc.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "her2_positive_second_line.yaml"


def _example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())


def _run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Any, name: str = "case.yaml", raw: str | None = None
) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(raw if raw is not None else yaml.safe_dump(data))
    code = main(["evaluate", str(path), "--no-model"])
    err = capsys.readouterr().err
    return code, err


def _mutated(path: list[Any], value: Any) -> dict[str, Any]:
    data = _example()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        (["her2_tests", 0, "ihc", "score"], "4+", "case.her2_tests[0].ihc.score", "'4+' is not one of 0, 1+, 2+, 3+"),
        (["her2_tests", 0, "ish", "ratio"], -1.2, "case.her2_tests[0].ish.ratio", "greater than 0"),
        (["tumour", "histology"], "squamous cell carcinoma", "case.tumour.histology", "adenocarcinoma"),
        (
            ["treatment_history", 0, "drugs", 0],
            "wonderumab",
            "case.treatment_history[0].drugs[0]",
            "unknown drug 'wonderumab'",
        ),
        (["alterations", 0, "gene"], "NOTAGENE1", "case.alterations[0].gene", "unknown gene 'NOTAGENE1'"),
        (["ecog"], "one", "case.ecog", "integer"),
        (["pdl1", "cps"], "high", "case.pdl1.cps", "number"),
        (["treatment_history", 0, "end"], "2024-01-01", "case.treatment_history[0]", "before start"),
        (["tumour", "oncotree_code"], "ESCA", "case.tumour", "does not match site"),
        (["msi"], "MSI-low", "case.msi", "is not one of"),
    ],
)
def test_bad_field_names_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: list[Any], value: Any, field: str, fragment: str
) -> None:
    code, err = _run(tmp_path, capsys, _mutated(path, value))
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "case.yaml" in err and field in err and fragment in err, err


def test_dates_out_of_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _example()
    data["ctdna"] = list(reversed(data["ctdna"]))
    code, err = _run(tmp_path, capsys, data)
    assert code == 2 and "case.ctdna" in err and "oldest first" in err


def test_unknown_field_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, {**_example(), "her2_status": "positive"})
    assert code == 2 and "case.her2_status: unknown field" in err


def test_malformed_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, None, raw="schema: her2gc.case/1\npatient_id: [unclosed\n")
    assert code == 2 and "case.yaml line" in err and "malformed YAML" in err


def test_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, None, name="case.json", raw='{"schema": "her2gc.case/1", }')
    assert code == 2 and "case.json line 1" in err and "malformed JSON" in err


def test_top_level_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(tmp_path, capsys, None, raw="- just\n- a list\n")
    assert code == 2 and "expected a mapping" in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml: cannot read" in capsys.readouterr().err


def test_truncated_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.yaml.gz"
    path.write_bytes(gzip.compress(EXAMPLE.read_bytes())[:40])
    assert main(["evaluate", str(path)]) == 2
    assert "not a valid gzip file" in capsys.readouterr().err


def test_gzip_case_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.json.gz"
    path.write_bytes(gzip.compress(json.dumps(_example(), default=str).encode()))
    assert main(["evaluate", str(path), "--format", "json", "--no-model"]) == 0
    assert json.loads(capsys.readouterr().out)["patient_id"] == "EXAMPLE-001"


def test_bad_region_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EXAMPLE), "--region", "XX", "--no-model"]) == 2
    assert "--region" in capsys.readouterr().err


def test_missing_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(_example())
    del data["region"]
    code, err = _run(tmp_path, capsys, data)
    assert code == 2 and "case.region" in err


def test_entry_point_never_shows_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_mutated(["her2_tests", 0, "ihc", "score"], "4+")))
    result = subprocess.run(
        [sys.executable, "-m", "her2gc.cli", "evaluate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
