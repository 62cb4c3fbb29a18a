"""Loading an uploaded file (admins): checked now, loaded as a job on the ingest queue (or at
once without Redis), the stage it is at reported for the page that polls it."""

from __future__ import annotations

import re
from dataclasses import replace

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.jobs import JobRef
from db.jobs import enqueue
from db.jobs import report_stage
from db.roles import Actor
from ingestion.connectors.file_mapping import FieldSpec
from ingestion.connectors.file_mapping import FileMapping
from ingestion.connectors.file_rows import check_header
from ingestion.errors import IngestionError
from ingestion.file_sync import ingest_data
from ingestion.saved_mappings import checked_mapping

UPLOAD_JOB = "ingestion.uploads.run_upload"
UPLOAD_QUEUE = "ingest"
SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MAX_UPLOAD = 64 * 1024 * 1024


def with_source(mapping: FileMapping, source: str) -> FileMapping:
    """The mapping with ``source`` as the records' source system where it names none."""
    if "source_system" in mapping.fields or mapping.kind == "inventory":
        return mapping
    return replace(mapping, fields={**mapping.fields, "source_system": FieldSpec(value=source)})


def request_upload(
    data: bytes, yaml_text: str, source: str, file_name: str, actor: Actor
) -> JobRef:
    """Load ``data`` through the mapping as source ``source`` (admins only): queued, audited."""
    actor.require("admin", "load files")
    source = source.strip().lower()
    if not SOURCE.match(source):
        raise CommandError("a source name is 1–40 lower-case letters, digits, '.', '_' or '-'")
    if not data:
        raise CommandError("the file is empty")
    if len(data) > MAX_UPLOAD:
        raise CommandError(f"a file is at most {MAX_UPLOAD // 2**20} MB")
    mapping = checked_mapping(yaml_text)
    try:
        check_header(data, mapping)  # refused now, not in the job
    except IngestionError as exc:
        raise CommandError(f"{file_name}: {exc}") from None
    with session_scope() as session:
        after = {"file": file_name, "bytes": len(data), "kind": mapping.kind}
        audit.record(session, actor.name, "file.upload", "source", source, None, after)
    return enqueue(
        UPLOAD_JOB, data, yaml_text, source, file_name, queue=UPLOAD_QUEUE, job_timeout=3600
    )


def run_upload(data: bytes, yaml_text: str, source: str, file_name: str) -> dict[str, int]:
    """The job: map, validate and load the file as one transaction; its counts."""
    report_stage("mapping and loading")
    mapping = with_source(FileMapping.from_text(yaml_text), source)
    result = ingest_data(data, mapping, file_name=file_name, instance=source)
    report_stage("done")
    return {
        "read": result.read,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }
