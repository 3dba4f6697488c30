"""A real server, killed with SIGKILL under load, loses nothing it acknowledged.

`her2gc serve` runs on 127.0.0.1 (a free port) with its SQLite trail in a temporary
folder; eight client threads post evaluations and feedback; the server is killed with
kill -9 by its PID mid-load, started again on the same database, and then every
acknowledged evaluation and feedback item must be in the trail, and the chain whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from service_helpers import REPO, example_case

httpx = pytest.importorskip("httpx")

TOKEN = "restart-test-token-0123456789"
MAX_REQUESTS = 400
LOAD_SECONDS = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")]),
        HER2GC_DATABASE_URL=f"sqlite:///{folder / 'audit.sqlite3'}",
        HER2GC_SECRET_FILE=str(folder / "secret"),
        HER2GC_API_TOKENS=str(folder / "tokens"),
        HER2GC_RATE_LIMIT="0",
    )
    command = [
        sys.executable,
        "-m",
        "her2gc.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    with open(folder / f"server-{port}.log", "ab") as log:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"her2gc serve exited with {server.returncode}: {(folder / f'server-{port}.log').read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    pytest.fail("her2gc serve did not answer /healthz within 90 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()


def test_kill_9_during_load_loses_no_acknowledged_row(tmp_path):
    from her2gc.service.audit import audit_table, feedback_table, make_engine, verify_chain

    (tmp_path / "tokens").write_text(TOKEN + "\n")
    port = _free_port()
    server = _start(tmp_path, port)
    acknowledged: dict[int, str] = {}
    feedback_cards: set[str] = set()
    lock = threading.Lock()
    sent = 0
    stop = threading.Event()

    def load(worker: int) -> None:
        nonlocal sent
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for index in range(MAX_REQUESTS):
                with lock:
                    if stop.is_set() or sent >= MAX_REQUESTS:
                        return
                    sent += 1
                try:
                    if index % 4 == 3:
                        card = f"card-{worker}-{index}"
                        item = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-01-05T10:00:00Z"}
                        response = client.post("/cds-services/her2gc-patient-view/feedback", json={"feedback": [item]})
                        if response.status_code == 200:
                            with lock:
                                feedback_cards.add(card)
                        continue
                    body = json.dumps(example_case(patient_id=f"P-{worker}-{index}")).encode()
                    response = client.post(
                        "/v1/evaluate?model=false", content=body, headers=headers | {"Content-Type": "application/json"}
                    )
                    if response.status_code == 200:
                        with lock:
                            acknowledged[int(response.headers["x-her2gc-audit"])] = hashlib.sha256(body).hexdigest()
                except httpx.HTTPError:
                    return  # the server is gone

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while time.monotonic() - started < LOAD_SECONDS and len(acknowledged) < 60:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 10, "too few requests were answered before the kill to test anything"

    restarted = _start(tmp_path, _free_port())
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
        result = verify_chain(engine)
        assert result.ok, result.problem
        with engine.connect() as connection:
            stored = dict(
                connection.execute(
                    audit_table.select().with_only_columns(audit_table.c.seq, audit_table.c.input_sha256)
                ).all()
            )
            cards = {
                row[0]
                for row in connection.execute(feedback_table.select().with_only_columns(feedback_table.c.card_uuid))
            }
        for seq, digest in acknowledged.items():
            assert stored.get(seq) == digest, f"acknowledged row {seq} missing or changed after the restart"
        assert feedback_cards <= cards
        after = httpx.post(
            f"http://127.0.0.1:{restarted.args[restarted.args.index('--port') + 1]}/v1/evaluate?model=false",
            json=example_case(),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert after.status_code == 200 and int(after.headers["x-her2gc-audit"]) == result.head_seq + 1
        assert verify_chain(engine).ok
    finally:
        _stop(restarted)
