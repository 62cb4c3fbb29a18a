"""The audit trail: verify detects edited, deleted and reordered entries; nothing in the app
can update or delete an entry."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cli.main import app
from db import audit
from db.engine import get_engine
from db.engine import session_scope
from db.schema import AuditLog

ROOT = Path(__file__).resolve().parents[2]
TABLE = AuditLog.__table__

pytestmark = pytest.mark.postgres


def seed(url: str, n: int = 6) -> list[int]:
    with get_engine(url).begin() as conn:
        for i in range(n):
            audit.record(conn, "alice", "target.set", "target", i, {"value": i}, {"value": i + 1})
        return list(conn.execute(select(TABLE.c.id).order_by(TABLE.c.id)).scalars())


def as_owner(url: str, *statements: str) -> None:
    """Tamper the way only the database owner could: with the append-only triggers off."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")


def verify_cli() -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


def broken_ids(url: str) -> set[int]:
    with get_engine(url).connect() as conn:
        return {p.entry_id for p in audit.verify(conn)}


def test_intact_chain_verifies(pg_url):
    seed(pg_url)
    code, output = verify_cli()
    assert code == 0 and "intact" in output


def test_edited_entry_is_detected(pg_url):
    ids = seed(pg_url)
    as_owner(pg_url, f"""UPDATE audit_log SET after = '{{"value": 99}}' WHERE id = {ids[2]}""")
    assert broken_ids(pg_url) == {ids[2]}
    code, output = verify_cli()
    assert code == 1
    assert f"entry {ids[2]}: content does not match its hash" in output


def test_deleted_entry_is_detected(pg_url):
    ids = seed(pg_url)
    as_owner(pg_url, f"DELETE FROM audit_log WHERE id = {ids[3]}")
    assert broken_ids(pg_url) == {ids[4]}
    code, output = verify_cli()
    assert code == 1 and f"entry {ids[4]}: does not follow" in output


def test_reordered_entries_are_detected(pg_url):
    ids = seed(pg_url)
    a, b = ids[1], ids[2]
    as_owner(
        pg_url,
        f"UPDATE audit_log SET id = -1 WHERE id = {a}",
        f"UPDATE audit_log SET id = {a} WHERE id = {b}",
        f"UPDATE audit_log SET id = {b} WHERE id = -1",
    )
    assert {a, b, ids[3]} <= broken_ids(pg_url)
    assert verify_cli()[0] == 1


def test_entries_cut_from_the_end_are_detected_with_an_anchor(pg_url):
    ids = seed(pg_url)
    with get_engine(pg_url).connect() as conn:
        anchor = audit.head(conn)[1]
    as_owner(pg_url, f"DELETE FROM audit_log WHERE id = {ids[-1]}")
    result = CliRunner().invoke(app, ["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1 and "is missing" in result.output


def test_app_code_paths_cannot_update_or_delete(pg_url):
    ids = seed(pg_url, 2)
    with pytest.raises(audit.AppendOnlyError), session_scope(pg_url) as session:
        entry = session.get(AuditLog, ids[0])
        entry.actor = "mallory"
    with pytest.raises(audit.AppendOnlyError), session_scope(pg_url) as session:
        session.delete(session.get(AuditLog, ids[0]))
    for statement in (
        update(TABLE).where(TABLE.c.id == ids[0]).values(actor="mallory"),
        delete(TABLE).where(TABLE.c.id == ids[0]),
    ):
        with pytest.raises(DBAPIError, match="append-only"), get_engine(pg_url).begin() as conn:
            conn.execute(statement)
    with pytest.raises(DBAPIError, match="append-only"), get_engine(pg_url).begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_log")
    assert broken_ids(pg_url) == set()


def test_sqlite_refuses_update_and_delete(sqlite_url):
    ids = seed(sqlite_url, 2)
    for statement in (
        update(TABLE).where(TABLE.c.id == ids[0]).values(actor="mallory"),
        delete(TABLE).where(TABLE.c.id == ids[0]),
    ):
        with pytest.raises(DBAPIError, match="append-only"), get_engine(sqlite_url).begin() as conn:
            conn.execute(statement)


CHANGES_AUDIT = re.compile(
    r"(update|delete)\(\s*(AuditLog|audit_log|TABLE|table)\b"
    r"|(UPDATE|DELETE\s+FROM|TRUNCATE)\s+audit_log"
    r"|query\(\s*AuditLog\s*\)[^\n]*\.(update|delete)\(",
    re.IGNORECASE,
)


def test_the_source_scan_recognises_changes():
    for line in (
        "conn.execute(update(AuditLog).values(actor='x'))",
        "conn.execute(delete(AuditLog.__table__))",
        'conn.exec_driver_sql("DELETE FROM audit_log")',
        "session.query(AuditLog).filter_by(id=1).delete()",
    ):
        assert CHANGES_AUDIT.search(line), line


def test_no_code_path_updates_or_deletes_audit_rows():
    """Only the migration that installs the refusing triggers may name UPDATE/DELETE on it."""
    offenders = []
    for package in ("db", "analytics", "dashapp", "ingestion", "forecasting"):
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text()
            if "audit" not in source and "AuditLog" not in source:
                continue
            for match in CHANGES_AUDIT.finditer(source):
                line = source[: match.start()].count("\n") + 1
                text = source.splitlines()[line - 1]
                if "TRIGGER" in text or "RAISE" in text:
                    continue
                if match.group(2) in ("TABLE", "table") and "AuditLog.__table__" not in source:
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {text.strip()}")
    assert offenders == []
