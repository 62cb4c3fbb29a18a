"""`channelperf ingest file`: load CSV / JSON-lines drops through a YAML mapping, one run a file.

Rows that cannot become canonical records go to the quarantine with their line of
the file (a CSV row with its header line), so the reason and the data stay visible;
the rest of the file loads in the same transaction as the run and the rejects. Records
refused for want of reference data (an exchange rate, a known store) are quarantined as
the canonical records they became, which a replay loads once the data is there. A row
quarantined before and quarantined again is kept once; an order that loads resolves its
earlier rejects (``ingestion.sync.rejects``): a file corrected and loaded again leaves in
the quarantine only what is still wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from db.engine import get_engine
from db.events import batch_committed
from ingestion.canonical import CanonicalOrder
from ingestion.connectors.files import FileMapping
from ingestion.connectors.files import RowError
from ingestion.connectors.files import iter_numbered
from ingestion.errors import IngestionError
from ingestion.loader import LoadResult
from ingestion.records import load_records
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.sources import SourceInfo
from ingestion.sync import Origin
from ingestion.sync import RejectedPayload
from ingestion.sync import SyncResult
from ingestion.sync import load_cursor
from ingestion.sync import resolve_rejects
from ingestion.sync import save_cursor
from ingestion.sync import write_rejects

FILE_SYSTEM = "file"
REFUSED_FILE_BYTES = 64 * 1024  # of a file refused whole, kept with its reject
PROGRESS_EVERY = 5_000  # records read between two progress reports


def _row_payload(lines: list[bytes], mapping: FileMapping, row: int) -> bytes:
    """The file's line ``row`` (1-based), after the header line for CSV."""
    line = lines[row - 1] if 0 < row <= len(lines) else b""
    if mapping.format == "csv" and row > 1 and lines:
        return lines[0] + b"\n" + line
    return line


def _row_reject(name: str, lines: list[bytes], mapping: FileMapping, error: RowError):
    """A row wrong in itself: its line of the file, for the reason; fixed in the file."""
    return RejectedPayload(
        f"{name}:{error.row}",
        f"line {error.row}: {error.reason}",
        _row_payload(lines, mapping, error.row),
        record_key=error.record_key,
    )


def _refused(name: str, line: int, record, reason: str) -> RejectedPayload:
    """A record refused for want of reference data: the canonical record, which a replay loads
    once the data is there."""
    return RejectedPayload(
        f"{name}:{line}",
        f"line {line}: {reason}",
        record.model_dump_json().encode(),
        record_key=record.source_order_id if isinstance(record, CanonicalOrder) else None,
        canonical=True,
    )


def ingest_file(
    path: str | Path,
    mapping_path: str | Path,
    *,
    engine: Engine | None = None,
    source_name: str | None = None,
    cursor: str | None = None,
    future_tolerance: dt.timedelta | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> SyncResult:
    """One file as one transaction: records, rejects, run (and a file source's cursor)."""
    path, mapping_path = Path(path), Path(mapping_path)
    return ingest_data(
        path.read_bytes(),
        FileMapping.from_yaml(mapping_path),
        file_name=path.name,
        instance=mapping_path.stem,
        engine=engine,
        source_name=source_name,
        cursor=cursor,
        future_tolerance=future_tolerance,
        on_rows=on_rows,
    )


def ingest_data(
    data: bytes,
    mapping: FileMapping,
    *,
    file_name: str,
    instance: str,
    engine: Engine | None = None,
    source_name: str | None = None,
    cursor: str | None = None,
    future_tolerance: dt.timedelta | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> SyncResult:
    """A file's bytes as one transaction; its run is recorded as the ``instance`` of ``file``.
    ``on_rows`` hears how many more records (or rejected rows) were read, every
    ``PROGRESS_EVERY``, for a progress bar."""
    engine = engine or get_engine()
    lines = data.splitlines()
    origin = Origin(FILE_SYSTEM, instance, f"file:{mapping.kind}", source_name)
    numbered, rejects = [], []
    read = 0
    for line, item in iter_numbered(data, mapping, future_tolerance=future_tolerance):
        read += 1
        if on_rows is not None and read % PROGRESS_EVERY == 0:
            on_rows(PROGRESS_EVERY)
        if isinstance(item, RowError):
            rejects.append(_row_reject(file_name, lines, mapping, item))
        else:
            numbered.append((line, item))
    if on_rows is not None:
        on_rows(read % PROGRESS_EVERY)
    records = [record for _, record in numbered]
    with engine.begin() as conn:
        run_id = start_run(conn, origin.source_system, origin.source_instance, origin.stream)
        result, refused = load_records(conn, mapping.kind, records, run_id)
        rejects += [
            _refused(file_name, *numbered[n], reason) for n, reason in sorted(refused.items())
        ]
        if mapping.kind == "orders":
            loaded = (o.source_order_id for n, o in enumerate(records) if n not in refused)
            resolve_rejects(conn, origin, loaded, run_id)
        write_rejects(conn, origin, rejects, run_id)
        if source_name is not None and cursor is not None:
            save_cursor(conn, source_name, origin.stream, cursor)
        finish_run(conn, run_id, result, rejected=len(rejects))
    batch_committed(result.days)
    total = SyncResult()
    total.add(result, len(rejects))
    return total


def _file_key(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, path.name


def sync_directory(source: SourceInfo, *, engine: Engine | None = None) -> SyncResult:
    """Every file of a file source's directory (``base_url``) matching ``options.pattern``
    and newer than the cursor (modification time, then name), oldest first."""
    engine = engine or get_engine()
    mapping = source.options.get("mapping")
    if not mapping:
        raise IngestionError(f"file source {source.name} has no 'mapping' option")
    stream = f"file:{FileMapping.from_yaml(mapping).kind}"
    with engine.connect() as conn:
        stored = load_cursor(conn, source.name, stream)
    after = (-1, "")
    if stored:
        mtime, _, name = stored.partition("|")
        after = (int(mtime), name)
    directory = Path(source.base_url)
    if not directory.is_dir():
        raise IngestionError(f"file source {source.name}: {directory} is not a directory")
    files = sorted(
        (p for p in directory.glob(source.options.get("pattern", "*")) if p.is_file()),
        key=_file_key,
    )
    total = SyncResult()
    for path in files:
        key = _file_key(path)
        if key <= after:
            continue
        cursor = f"{key[0]}|{key[1]}"
        try:
            result = ingest_file(
                path, mapping, engine=engine, source_name=source.name, cursor=cursor
            )
        except IngestionError as exc:  # refused whole, e.g. a header without the mapped columns
            origin = Origin(FILE_SYSTEM, Path(mapping).stem, stream, source.name)
            result = _refuse_file(engine, origin, path, str(exc), cursor)
        total.merge(result)
    return total


def _refuse_file(engine: Engine, origin: Origin, path: Path, reason: str, cursor: str):
    """Quarantine a file refused whole as one reject (its first lines, for the reason; the file
    stays where it is) and move the cursor past it, so the files after it load."""
    with path.open("rb") as handle:
        head = handle.read(REFUSED_FILE_BYTES)
    reject = RejectedPayload(path.name, f"{path.name}: {reason}", head)
    with engine.begin() as conn:
        run_id = start_run(conn, origin.source_system, origin.source_instance, origin.stream)
        write_rejects(conn, origin, [reject], run_id)
        save_cursor(conn, origin.source_name, origin.stream, cursor)
        finish_run(conn, run_id, LoadResult(), rejected=1)
    total = SyncResult()
    total.add(LoadResult(), 1)
    return total
