"""``--fhir-server URL --patient ID``: fetch a patient's record from a real FHIR R4 server
started on 127.0.0.1 by the test: SEKMET (sekmet-fhir 0.1.1 on PyPI, FastAPI; Apache-2.0), in
its own virtual environment under the user's cache folder (created on first use), with bearer
tokens enforced. Skipped with the reason when it cannot be installed or started."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fhir_helpers import GOLDEN

from her2gc.cli import main
from her2gc.errors import InputError
from her2gc.readers import fhir_server
from her2gc.readers.fhir import bundle_to_case
from her2gc.readers.fhir_bundle import FhirVocabulary

SEKMET = "sekmet-fhir==0.1.1"
TOKEN = "her2gc-test-token"
PATIENTS = {"resistance_variants": "p-resistance", "second_line_after_trastuzumab": "p-second-line"}


def _venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "her2gc-tests" / "sekmet-venv"
    executable = cache / "bin" / "sekmet"
    if executable.exists():
        return executable
    try:
        subprocess.run([sys.executable, "-m", "venv", str(cache)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [str(cache / "bin" / "pip"), "install", "-q", SEKMET], check=True, capture_output=True, timeout=900
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot install {SEKMET} into {cache}: {exc}")
    return executable


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = _venv()
    port = _free_port()
    folder = tmp_path_factory.mktemp("sekmet")
    base = f"http://127.0.0.1:{port}/fhir"
    settings = f"base_url: {base}\nhost: 127.0.0.1\nport: {port}\ndata_dir: {folder / 'data'}\nserver_auth: {{types: [bearer], tokens: [{TOKEN}]}}\nsimulator: {{enabled: false}}\nvalidation: {{inbound: warn}}\nlog_inbound: false\n"
    (folder / "settings.yaml").write_text(settings, encoding="utf-8")
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [str(executable), "serve", "--config", str(folder / "settings.yaml")],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            pytest.skip(f"SEKMET did not answer on {base} within 30 s: {(folder / 'server.log').read_text()[-300:]}")
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/fhir+json"}
        for name in PATIENTS:
            bundle = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
            entries = [
                {
                    "resource": e["resource"],
                    "request": {"method": "PUT", "url": f"{e['resource']['resourceType']}/{e['resource']['id']}"},
                }
                for e in bundle["entry"]
            ]
            answer = httpx.post(
                base,
                json={"resourceType": "Bundle", "type": "transaction", "entry": entries},
                headers=headers,
                timeout=60,
            )
            assert answer.status_code == 200, answer.text[:300]
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.parametrize("name", sorted(PATIENTS))
def test_fetched_record_maps_like_the_file(
    name: str, server: str, vocab: FhirVocabulary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fhir_server, "PAGE_SIZE", 2)  # several pages per search: the next links are followed
    fetched = fhir_server.fetch_patient_bundle(server, PATIENTS[name], token=TOKEN)
    from_file = bundle_to_case(json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")), vocab, source="file")
    from_server = bundle_to_case(fetched, vocab, source="server")
    assert from_server.case == from_file.case
    assert {e["resource"]["resourceType"] for e in fetched["entry"]} >= {
        "Patient",
        "Condition",
        "Observation",
        "Specimen",
        "MedicationAdministration",
    }


def test_the_token_is_required(server: str) -> None:
    with pytest.raises(InputError, match="HTTP 401"):
        fhir_server.fetch_patient_bundle(server, "p-resistance", token="not-the-token")


def test_unknown_patient(server: str) -> None:
    with pytest.raises(InputError, match=r"Patient/nobody: HTTP 404"):
        fhir_server.fetch_patient_bundle(server, "nobody", token=TOKEN)


def test_evaluate_from_the_server(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "evaluate",
            "--fhir-server",
            server,
            "--patient",
            "p-second-line",
            "--fhir-token",
            TOKEN,
            "--region",
            "US",
            "--format",
            "json",
            "--no-model",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report: dict[str, Any] = json.loads(captured.out)
    assert report["patient_id"] == "MRN-1002" and report["decision_line"] == 2
    assert report["recommendations"][0]["regimen_id"] == "t-dxd"


def test_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["evaluate", "--fhir-server", f"http://127.0.0.1:{_free_port()}/fhir", "--patient", "p1", "--region", "US"]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot reach the FHIR server" in err
