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
import threading
import time
from pathlib import Path

import pytest
from service_helpers import example_case

from her2gc.service.loopback import LoopbackServer
from support import loopback_server

httpx = pytest.importorskip("httpx")

TOKEN = "restart-test-token-0123456789"
MAX_REQUESTS = 400
LOAD_SECONDS = 20.0


def _start(folder: Path) -> LoopbackServer:
    return loopback_server(folder, HER2GC_API_TOKENS=str(folder / "tokens"))


def test_kill_9_during_load_loses_no_acknowledged_row(tmp_path):
    from her2gc.service.audit import audit_table, feedback_table, make_engine, verify_chain

    (tmp_path / "tokens").write_text(TOKEN + "\n")
    server = _start(tmp_path)
    acknowledged: dict[int, str] = {}
    feedback_cards: set[str] = set()
    lock = threading.Lock()
    sent = 0
    stop = threading.Event()

    def load(worker: int) -> None:
        nonlocal sent
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
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
    os.kill(server.process.pid, signal.SIGKILL)  # by its process id, in the middle of the load
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 10, "too few requests were answered before the kill to test anything"

    restarted = _start(tmp_path)
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
            f"{restarted.base_url}/v1/evaluate?model=false",
            json=example_case(),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert after.status_code == 200 and int(after.headers["x-her2gc-audit"]) == result.head_seq + 1
        assert verify_chain(engine).ok
    finally:
        restarted.stop()


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path):
    from her2gc.service.loopback import ServerDidNotStart, start

    with pytest.raises(ServerDidNotStart, match=r"exited with 2: .*--workers"):
        start(tmp_path, {}, workers=0, source=Path(__file__).resolve().parents[2] / "src")
