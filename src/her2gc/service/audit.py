"""The audit trail and CDS feedback: append-only rows in a hash chain (SQLAlchemy 2).

Every evaluation and every feedback item becomes one row of ``her2gc_audit`` holding
the time, the client, the knowledge base's sha256, the sha256 of the input and of the
report, a salted hash of the patient id (never the id) and the hash of the previous
row; the row's own hash covers all of that. Changing, removing or inserting a row
breaks the chain, and ``her2gc audit verify`` finds where.

Appends are serialised across workers and instances by the database itself: SQLite's
``BEGIN IMMEDIATE`` write lock, PostgreSQL's transaction-level advisory lock. Triggers
refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), so rewriting the trail takes
deliberate work that the chain then shows. Concurrent requests of one worker share a
transaction ("group commit"): one commit, and one fsync, for all rows that arrived
while the previous commit was running. A row is committed before its response is sent,
so a kill -9 loses nothing that a client was told was done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection

GENESIS = "0" * 64
Item = TypeVar("Item")
R = TypeVar("R")
_PG_LOCK = 0x48455232  # "HER2": the advisory lock key of the chain's head

metadata = MetaData()
audit_table = Table(
    "her2gc_audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("endpoint", String(80), nullable=False),
    Column("client", String(80), nullable=False),
    Column("kb_sha256", String(64), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("report_sha256", String(64)),
    Column("patient_hash", String(64)),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)
feedback_table = Table(
    "her2gc_cds_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("audit_seq", BigInteger, ForeignKey("her2gc_audit.seq"), nullable=False, unique=True),
    Column("service_id", String(80), nullable=False),
    Column("card_uuid", String(80), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", String(40), nullable=False),
    Column("body", Text, nullable=False),
)
jti_table = Table(
    "her2gc_cds_jti",
    metadata,
    Column("issuer", String(255), primary_key=True),
    Column("jti", String(255), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
)

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table} BEGIN SELECT RAISE(ABORT, 'the her2gc audit trail is append-only'); END"
    for table in ("her2gc_audit", "her2gc_cds_feedback")
    for verb in ("update", "delete")
]
_PG_FUNCTION = """CREATE OR REPLACE FUNCTION her2gc_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the her2gc audit trail is append-only'; END $$"""
_PG_TRIGGER = """DO $$ BEGIN
IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{name}') THEN
  CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH {each} EXECUTE FUNCTION her2gc_append_only();
END IF; END $$"""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One row to append (its sequence number and hashes are given when it is written)."""

    kind: str
    endpoint: str
    client: str
    kb_sha256: str
    input_sha256: str
    report_sha256: str | None = None
    patient_hash: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None  # the her2gc_cds_feedback row written with it


@dataclass(frozen=True)
class Appended:
    seq: int
    entry_hash: str


HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "endpoint",
    "client",
    "kb_sha256",
    "input_sha256",
    "report_sha256",
    "patient_hash",
    "details",
    "prev_hash",
)


def entry_hash(row: dict[str, Any]) -> str:
    """The hash of a row: every stored field but the hash itself, in a fixed order."""
    return sha256_hex(canonical_json([row[name] for name in HASHED_FIELDS]))


def feedback_digest(body: str) -> str:
    return sha256_hex(body)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, durable: bool = True) -> Engine:
    """An engine for the trail; SQLite in WAL mode with IMMEDIATE transactions."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below decide the transaction, not the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the response leaves, power loss included.
        cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(
            "BEGIN" if connection.get_execution_options().get("her2gc_read_only") else "BEGIN IMMEDIATE"
        )

    return engine


def create_schema(engine: Engine) -> None:
    """Tables and append-only triggers; safe when several workers start at once."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK + 1})
        metadata.create_all(connection)
        if engine.dialect.name == "sqlite":
            for statement in _SQLITE_TRIGGERS:
                connection.exec_driver_sql(statement)
        elif engine.dialect.name == "postgresql":
            connection.exec_driver_sql(_PG_FUNCTION)
            for table in ("her2gc_audit", "her2gc_cds_feedback"):
                connection.exec_driver_sql(
                    _PG_TRIGGER.format(name=f"{table}_append_only", events="UPDATE OR DELETE", table=table, each="ROW")
                )
                connection.exec_driver_sql(
                    _PG_TRIGGER.format(name=f"{table}_no_truncate", events="TRUNCATE", table=table, each="STATEMENT")
                )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def append_entries(connection: Connection, entries: list[AuditEntry]) -> list[Appended]:
    """Append entries in the open transaction, chained after the current head."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    head = connection.execute(
        select(audit_table.c.seq, audit_table.c.entry_hash).order_by(audit_table.c.seq.desc()).limit(1)
    ).first()
    seq, previous = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    written: list[Appended] = []
    rows: list[dict[str, Any]] = []
    feedback_rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "recorded_at": _now(),
            "kind": entry.kind,
            "endpoint": entry.endpoint,
            "client": entry.client,
            "kb_sha256": entry.kb_sha256,
            "input_sha256": entry.input_sha256,
            "report_sha256": entry.report_sha256,
            "patient_hash": entry.patient_hash,
            "details": canonical_json(entry.details),
            "prev_hash": previous,
        }
        row["entry_hash"] = previous = entry_hash(row)
        rows.append(row)
        if entry.feedback is not None:
            feedback_rows.append({**entry.feedback, "audit_seq": seq})
        written.append(Appended(seq=seq, entry_hash=row["entry_hash"]))
    connection.execute(insert(audit_table), rows)
    if feedback_rows:
        connection.execute(insert(feedback_table), feedback_rows)
    return written


class _Ticket(Generic[Item, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, R]):
    """Writes from many threads of a worker, committed together.

    A thread that finds no commit running takes every waiting item into one transaction
    (``write`` gets them in arrival order and returns one result each); the others wait
    for it. Under load one commit, and one fsync, serves many requests.
    """

    def __init__(self, engine: Engine, write: Callable[[Connection, list[Item]], list[R]]) -> None:
        self.engine = engine
        self._write = write
        self._condition = threading.Condition()
        self._pending: list[_Ticket[Item, R]] = []
        self._writing = False

    def submit(self, item: Item) -> R:
        """Write one item and return its result once committed (raises if the database refuses)."""
        ticket: _Ticket[Item, R] = _Ticket(item)
        batch: list[_Ticket[Item, R]] | None = None
        with self._condition:
            self._pending.append(ticket)
            while self._writing and not ticket.done:
                self._condition.wait()
            if not ticket.done:
                # No commit is running: this thread commits everything that is waiting.
                self._writing = True
                batch, self._pending = self._pending, []
        if batch is not None:
            self._commit(batch)
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    def _commit(self, batch: list[_Ticket[Item, R]]) -> None:
        try:
            with self.engine.begin() as connection:
                results = self._write(connection, [t.item for t in batch])
            for ticket, result in zip(batch, results, strict=True):
                ticket.result = result
        except BaseException as exc:
            for ticket in batch:
                ticket.error = exc
        finally:
            with self._condition:
                for ticket in batch:
                    ticket.done = True
                self._writing = False
                self._condition.notify_all()


class AuditTrail(GroupCommit[AuditEntry, Appended]):
    """The trail of one worker: appends from many threads, committed in groups."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, append_entries)

    def record(self, entry: AuditEntry) -> Appended:
        """Append one entry and return once it is committed."""
        return self.submit(entry)


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    feedback_rows: int
    head_seq: int
    head_hash: str
    problem: str | None = None


def _rows(connection: Connection) -> Iterator[dict[str, Any]]:
    result = connection.execution_options(yield_per=2000).execute(select(audit_table).order_by(audit_table.c.seq))
    for row in result.mappings():
        yield dict(row)


def feedback_row(service_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """The stored form of one CDS feedback item; ``body`` is what the trail's digest covers."""
    body = canonical_json({"service_id": service_id, "feedback": item})
    return {
        "service_id": service_id,
        "card_uuid": str(item["card"]),
        "outcome": str(item["outcome"]),
        "outcome_timestamp": str(item["outcomeTimestamp"]),
        "body": body,
    }


def _columns_match_body(row: dict[str, Any]) -> bool:
    try:
        expected = feedback_row(json.loads(row["body"])["service_id"], json.loads(row["body"])["feedback"])
    except (ValueError, KeyError, TypeError):
        return False
    return all(row[name] == expected[name] for name in ("service_id", "card_uuid", "outcome", "outcome_timestamp"))


def verify_chain(engine: Engine) -> Verification:
    """Walk the chain from the first row: contiguous sequence numbers, each row's hash, each
    link to the previous row, and each feedback row against the digest its entry holds."""
    seq, previous, count = 0, GENESIS, 0
    digests: dict[int, str] = {}
    with engine.connect().execution_options(her2gc_read_only=True) as connection, connection.begin():
        for row in _rows(connection):
            count += 1
            if row["seq"] != seq + 1:
                return Verification(
                    False,
                    count,
                    0,
                    seq,
                    previous,
                    f"row {row['seq']}: expected sequence number {seq + 1} (a row is missing)",
                )
            if row["prev_hash"] != previous:
                return Verification(
                    False,
                    count,
                    0,
                    seq,
                    previous,
                    f"row {row['seq']}: prev_hash does not match row {seq}'s hash (rows removed, inserted or reordered)",
                )
            if entry_hash(row) != row["entry_hash"]:
                return Verification(
                    False,
                    count,
                    0,
                    seq,
                    previous,
                    f"row {row['seq']}: content does not match its hash (the row was changed)",
                )
            if row["kind"] == "feedback":
                digests[row["seq"]] = row["input_sha256"]
            seq, previous = row["seq"], row["entry_hash"]
        feedback = 0
        for fb in connection.execute(select(feedback_table).order_by(feedback_table.c.id)).mappings():
            feedback += 1
            expected = digests.pop(int(fb["audit_seq"]), None)
            if expected is None or feedback_digest(str(fb["body"])) != expected or not _columns_match_body(dict(fb)):
                return Verification(
                    False,
                    count,
                    feedback,
                    seq,
                    previous,
                    f"feedback of row {fb['audit_seq']}: does not match the digest in the trail (the feedback was changed)",
                )
        if digests:
            return Verification(
                False, count, feedback, seq, previous, f"row {min(digests)}: its feedback row is missing"
            )
    return Verification(True, count, feedback, seq, previous)
