"""File mappings saved by name (admins): the YAML a company wrote for its export, checked before
it is kept, so an upload can pick it again; every save and delete is audited."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.ingestion_tables import SavedFileMapping
from db.roles import Actor
from ingestion.connectors.file_mapping import FileMapping
from ingestion.errors import IngestionError

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
MAX_YAML = 64 * 1024


@dataclass(frozen=True)
class MappingInfo:
    name: str
    kind: str
    yaml_text: str
    updated_at: dt.datetime
    updated_by: str


def _info(row: SavedFileMapping) -> MappingInfo:
    return MappingInfo(row.name, row.kind, row.yaml_text, row.updated_at, row.updated_by)


def checked_mapping(yaml_text: str) -> FileMapping:
    """The mapping the YAML describes; a CommandError saying what is wrong otherwise."""
    if len(yaml_text) > MAX_YAML:
        raise CommandError(f"a mapping is at most {MAX_YAML // 1024} KB of YAML")
    try:
        return FileMapping.from_text(yaml_text)
    except IngestionError as exc:
        raise CommandError(str(exc)) from None


def save_mapping(name: str, yaml_text: str, actor: Actor) -> MappingInfo:
    """Create or replace the mapping ``name`` (admins only)."""
    actor.require("admin", "save file mappings")
    name = name.strip().lower()
    if not NAME.match(name):
        raise CommandError("a mapping name is 1–80 lower-case letters, digits, '.', '_' or '-'")
    mapping = checked_mapping(yaml_text)
    with session_scope() as session:
        row = session.scalar(select(SavedFileMapping).where(SavedFileMapping.name == name))
        before = None if row is None else {"kind": row.kind, "yaml": row.yaml_text}
        if row is None:
            row = SavedFileMapping(name=name)
            session.add(row)
        row.kind, row.yaml_text = mapping.kind, yaml_text
        row.updated_at, row.updated_by = dt.datetime.now(dt.UTC), actor.name
        session.flush()
        after = {"kind": row.kind, "yaml": row.yaml_text}
        audit.record(session, actor.name, "file_mapping.save", "file_mapping", name, before, after)
        return _info(row)


def delete_mapping(name: str, actor: Actor) -> None:
    actor.require("admin", "delete file mappings")
    with session_scope() as session:
        row = _named(session, name)
        before = {"kind": row.kind, "yaml": row.yaml_text}
        session.delete(row)
        audit.record(session, actor.name, "file_mapping.delete", "file_mapping", name, before)


def list_mappings(actor: Actor) -> list[MappingInfo]:
    actor.require("admin", "read file mappings")
    with session_scope() as session:
        rows = session.scalars(select(SavedFileMapping).order_by(SavedFileMapping.name))
        return [_info(row) for row in rows]


def get_mapping(name: str, actor: Actor) -> MappingInfo:
    actor.require("admin", "read file mappings")
    with session_scope() as session:
        return _info(_named(session, name))


def _named(session, name: str) -> SavedFileMapping:
    row = session.scalar(select(SavedFileMapping).where(SavedFileMapping.name == name))
    if row is None:
        raise CommandError(f"no saved mapping named {name!r}")
    return row
