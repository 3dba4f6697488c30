"""The audit trail: a hash chain that ``her2gc audit verify`` checks, append-only, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from her2gc.cli import main
from her2gc.service.audit import (
    AuditEntry,
    AuditTrail,
    create_schema,
    feedback_digest,
    feedback_row,
    make_engine,
    verify_chain,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trail.sqlite3'}"
    import psycopg

    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def _entry(index: int) -> AuditEntry:
    return AuditEntry(
        kind="evaluation",
        endpoint="/v1/evaluate",
        client="token:abc",
        kb_sha256="k" * 64,
        input_sha256=f"{index:064x}",
        report_sha256="r" * 64,
        patient_hash="p" * 64,
        details={"n": index},
    )


def _trail(url: str) -> AuditTrail:
    engine = make_engine(url)
    create_schema(engine)
    return AuditTrail(engine)


def _tamper(trail: AuditTrail, statement: str) -> None:
    """Change the trail behind the triggers' back, as someone with the database's owner rights could."""
    engine = trail.engine
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table in ("her2gc_audit", "her2gc_cds_feedback"):
                for verb in ("update", "delete"):
                    connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        else:
            connection.exec_driver_sql("ALTER TABLE her2gc_audit DISABLE TRIGGER USER")
            connection.exec_driver_sql("ALTER TABLE her2gc_cds_feedback DISABLE TRIGGER USER")
        connection.exec_driver_sql(statement)


def test_chain_verifies_and_names_its_head(database_url):
    trail = _trail(database_url)
    appended = [trail.record(_entry(i)) for i in range(5)]
    assert [a.seq for a in appended] == [1, 2, 3, 4, 5]
    result = verify_chain(trail.engine)
    assert result.ok and result.rows == 5 and result.head_seq == 5 and result.head_hash == appended[-1].entry_hash


def test_concurrent_appends_make_one_unbroken_chain(database_url):
    """Threads of one worker and two workers (two trails on one database) append at once."""
    trails = [_trail(database_url), _trail(database_url)]
    errors: list[BaseException] = []

    def append(trail: AuditTrail, start: int) -> None:
        try:
            for i in range(start, start + 15):
                trail.record(_entry(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(trails[i % 2], i * 100)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_chain(trails[0].engine)
    assert result.ok and result.rows == 90


def test_the_trail_refuses_update_and_delete(database_url):
    trail = _trail(database_url)
    trail.record(_entry(1))
    for statement in ("UPDATE her2gc_audit SET client = 'someone else'", "DELETE FROM her2gc_audit"):
        with pytest.raises(DBAPIError, match="append-only"), trail.engine.begin() as connection:
            connection.execute(text(statement))
    assert verify_chain(trail.engine).ok


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE her2gc_audit SET client = 'someone else' WHERE seq = 3", "row 3: content does not match its hash"),
        ("DELETE FROM her2gc_audit WHERE seq = 2", "row 3: expected sequence number 2"),
        ("UPDATE her2gc_audit SET patient_hash = NULL WHERE seq = 4", "row 4: content does not match its hash"),
    ],
)
def test_tampering_is_found(database_url, statement, problem):
    trail = _trail(database_url)
    for i in range(5):
        trail.record(_entry(i))
    _tamper(trail, statement)
    result = verify_chain(trail.engine)
    assert not result.ok and result.problem.startswith(problem)


def test_rewriting_a_row_and_its_hash_breaks_the_next_link(database_url):
    from her2gc.service.audit import audit_table, entry_hash

    trail = _trail(database_url)
    for i in range(4):
        trail.record(_entry(i))
    with trail.engine.connect() as connection:
        row = dict(connection.execute(audit_table.select().where(audit_table.c.seq == 2)).mappings().one())
    row["client"] = "forger"
    forged = entry_hash(row)
    _tamper(trail, f"UPDATE her2gc_audit SET client = 'forger', entry_hash = '{forged}' WHERE seq = 2")
    result = verify_chain(trail.engine)
    assert not result.ok and result.problem.startswith("row 3: prev_hash does not match")


def test_changed_feedback_is_found(database_url):
    trail = _trail(database_url)
    row = feedback_row(
        "her2gc-patient-view", {"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00+00:00"}
    )
    trail.record(
        AuditEntry(
            kind="feedback",
            endpoint="/cds-services/her2gc-patient-view/feedback",
            client="cds:x",
            kb_sha256="k" * 64,
            input_sha256=feedback_digest(row["body"]),
            feedback=row,
        )
    )
    assert verify_chain(trail.engine).ok
    _tamper(trail, "UPDATE her2gc_cds_feedback SET outcome = 'accepted'")
    result = verify_chain(trail.engine)
    assert not result.ok and "feedback of row 1" in result.problem


def test_audit_verify_command_exits_0_then_1_when_broken(database_url, capsys):
    trail = _trail(database_url)
    for i in range(3):
        trail.record(_entry(i))
    assert main(["audit", "verify", "--database-url", database_url]) == 0
    assert "ok: the audit trail's hash chain is whole" in capsys.readouterr().out
    _tamper(trail, "UPDATE her2gc_audit SET kb_sha256 = 'x' WHERE seq = 2")
    assert main(["audit", "verify", "--database-url", database_url]) == 1
    assert "broken: row 2: content does not match its hash" in capsys.readouterr().err


def test_audit_verify_of_no_database_is_exit_2(tmp_path, capsys):
    assert main(["audit", "verify", "--database-url", f"sqlite:///{tmp_path / 'absent.sqlite3'}"]) == 2
    assert "no audit database there" in capsys.readouterr().err


def test_service_on_postgresql_records_every_evaluation(make_client, request):
    """The whole service with HER2GC_DATABASE_URL=postgresql://...: calls land in the shared trail."""
    from service_helpers import example_case

    server = request.getfixturevalue("postgres_url")
    with make_client(database_url=server) as client:
        for _ in range(3):
            assert client.post("/v1/evaluate?model=false", json=example_case()).status_code == 200
    result = verify_chain(make_engine(server))
    assert result.ok and result.rows >= 3


def test_the_trail_never_holds_the_patient_id(client, settings):
    from service_helpers import example_case, patient_view_call

    client.post("/v1/evaluate?model=false", json=example_case(patient_id="MRN-7731"))
    client.post("/cds-services/her2gc-patient-view", json=patient_view_call(context={"patientId": "fhir-7731"}))
    dump = b"".join(
        path.read_bytes()
        for path in Path(settings.database_url.removeprefix("sqlite:///")).parent.glob("audit.sqlite3*")
    )
    assert b"MRN-7731" not in dump and b"fhir-7731" not in dump
    with make_engine(settings.database_url).connect() as connection:
        hashes = [row[0] for row in connection.execute(text("SELECT patient_hash FROM her2gc_audit ORDER BY seq"))]
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes) and hashes[0] != hashes[1]


def test_replay_guard_remembers_each_jti_once(database_url):
    """Seen jti live in the shared database, so a replay to another worker or instance fails too."""
    from her2gc.service.cds_auth import ReplayGuard

    engine = _trail(database_url).engine
    worker_a, worker_b = ReplayGuard(engine), ReplayGuard(engine)
    assert worker_a.first_use("https://ehr.example.org", "jti-1", 2_000_000_000)
    assert not worker_b.first_use("https://ehr.example.org", "jti-1", 2_000_000_000)
    assert worker_b.first_use("https://other-ehr.example.org", "jti-1", 2_000_000_000)  # per issuer
    results: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(worker_a.first_use("https://ehr.example.org", "jti-race", 2_000_000_000))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
