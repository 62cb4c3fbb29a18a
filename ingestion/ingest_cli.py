"""Commands of the governed entry flow: ingest, rejects, remap, rules, sources, worker ingest.

Mounted on `channelperf` as ``app.add_typer(ingest_cli.app)`` (groups ``ingest``,
``rejects``, ``rules``, ``sources``, ``worker`` and the ``remap`` command).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from db.cli import fail
from db.errors import CommandError
from ingestion.connectors.registry import KINDS
from ingestion.errors import IngestionError
from ingestion.file_sync import ingest_file
from ingestion.quarantine import discard, get_reject, list_rejects, replay
from ingestion.reference_files import load_rates_file, load_region_file
from ingestion.remap import remap
from ingestion.rules import add_rule, edit_rule, list_rules, set_rule_active
from ingestion.sources import add_source, set_source_enabled
from ingestion.sync import SyncResult
from ingestion.sync_status import source_status
from ingestion.worker import INGEST_QUEUE, pull, run_worker

app = typer.Typer()
ingest_app = typer.Typer(help="Load mapped files or sync a source.", no_args_is_help=True)
rejects_app = typer.Typer(help="The quarantine of payloads that failed.", no_args_is_help=True)
rules_app = typer.Typer(help="Touchpoint → channel rules.", no_args_is_help=True)
sources_app = typer.Typer(help="Configured sources and their sync status.", no_args_is_help=True)
worker_app = typer.Typer(help="Long-running workers.", no_args_is_help=True)
reference_app = typer.Typer(
    help="Reference data the sources do not carry: exchange rates, region mappings.",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(rejects_app, name="rejects")
app.add_typer(rules_app, name="rules")
app.add_typer(sources_app, name="sources")
app.add_typer(worker_app, name="worker")
app.add_typer(reference_app, name="reference")

console = Console()


def _counts(result: SyncResult) -> str:
    return (
        f"read {result.read:,}: {result.inserted:,} new, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {result.rejected:,} rejected"
    )


@ingest_app.command("file")
def ingest_files(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Files to load")],
    mapping: Annotated[
        Path, typer.Option("--mapping", exists=True, dir_okay=False, help="YAML column mapping")
    ],
) -> None:
    """Load CSV / JSON-lines files through a column mapping; bad rows go to the quarantine."""
    total = SyncResult()
    try:
        with Progress(
            TextColumn("[bold]Ingesting[/bold]"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("files", total=len(paths))
            for path in paths:
                total.merge(ingest_file(path, mapping))
                progress.advance(task)
    except (IngestionError, CommandError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{len(paths)} file(s): {_counts(total)}.")


@ingest_app.command("source")
def ingest_source(name: str = typer.Argument(..., help="Configured source name")) -> None:
    """Sync one configured source now, from its stored cursor."""
    try:
        result = pull(name)
    except (IngestionError, CommandError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{name}: {result.runs} page(s), {_counts(result)}.")


@rejects_app.command("list")
def rejects_list(
    status: str = typer.Option("quarantined", help="quarantined | replayed | discarded | all"),
    source: str = typer.Option(None, help="Source name or system"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """The newest rejects with their reasons."""
    try:
        rows = list_rejects(None if status == "all" else status, source, limit)
    except CommandError as exc:
        raise fail(str(exc)) from None
    table = Table("id", "received (UTC)", "source", "record", "status", "reason")
    for r in rows:
        table.add_row(
            str(r.id),
            r.received_at.strftime("%Y-%m-%d %H:%M"),
            r.source_name or f"{r.source_system}/{r.source_instance}",
            r.record_id or "",
            r.status,
            r.error if len(r.error) < 120 else r.error[:117] + "…",
        )
    console.print(table)


@rejects_app.command("show")
def rejects_show(reject_id: int) -> None:
    """One reject: where it came from, why it failed, and its payload."""
    try:
        detail = get_reject(reject_id)
    except CommandError as exc:
        raise fail(str(exc)) from None
    info = detail.info
    console.print(f"[bold]Reject {info.id}[/bold] · {info.status}")
    origin = f"{info.source_system}/{info.source_instance}"
    console.print(f"source: {info.source_name or '-'} ({origin})")
    console.print(f"stream: {info.stream} · record: {info.record_id or '-'} · {info.size:,} bytes")
    console.print(f"received: {info.received_at.isoformat()}")
    console.print(f"[red]reason:[/red] {info.error}")
    console.print(detail.preview, markup=False, highlight=False)


@rejects_app.command("replay")
def rejects_replay(ids: Annotated[list[int], typer.Argument(help="Reject ids")]) -> None:
    """Map the stored payloads again with the current code and rules, and load those that pass."""
    try:
        result = replay(ids, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Replayed: {_counts(result)} (still failing stay quarantined).")


@rejects_app.command("discard")
def rejects_discard(
    ids: Annotated[list[int], typer.Argument(help="Reject ids")],
    reason: str = typer.Option(..., help="Why (goes to the audit log)"),
) -> None:
    """Mark rejects as discarded (kept for the record, never deleted)."""
    try:
        count = discard(ids, reason, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Discarded {count} reject(s).")


@reference_app.command("load-fx")
def reference_load_fx(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of rates")],
    inverse: bool = typer.Option(
        False, "--inverse", help="Rates are units of the currency per unit of the base currency"
    ),
) -> None:
    """Load exchange rates: CSV day,currency,rate (base currency per unit of the currency),
    or ECB-style Date,USD,JPY,… columns. Orders take the latest rate on or before their day."""
    try:
        rates = load_rates_file(path, inverse)
    except IngestionError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"{len(rates):,} rates for {', '.join(sorted(rates['currency'].unique()))} "
        f"from {min(rates['day'])} to {max(rates['day'])}."
    )


@reference_app.command("load-regions")
def reference_load_regions(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of mappings")],
) -> None:
    """Load region mappings: CSV source_system,kind,value,region (source_system empty or "*"
    for every source), e.g. sap,sales_org,1010,de or *,country,DE,de."""
    try:
        mappings = load_region_file(path)
    except IngestionError as exc:
        raise fail(str(exc)) from None
    console.print(f"{len(mappings):,} region mappings loaded.")


@app.command("remap")
def remap_command() -> None:
    """Re-derive past orders' touchpoints with the current channel rules (audited)."""
    result = remap(actor="cli")
    moves = ", ".join(f"{a} → {b}: {n:,}" for (a, b), n in sorted(result.moved.items()))
    console.print(
        f"Rule set v{result.version}: {result.orders_moved:,} orders moved"
        f"{' (' + moves + ')' if moves else ''}; rollups of {len(result.days):,} days rebuilt."
    )


@rules_app.command("list")
def rules_list() -> None:
    """Every channel rule, active first, by priority."""
    table = Table("id", "prio", "source", "field", "operator", "value", "touchpoint", "active", "v")
    for r in list_rules():
        table.add_row(
            str(r.id),
            str(r.priority),
            r.source_system or "any",
            r.field,
            r.operator,
            r.value,
            r.touchpoint,
            "yes" if r.active else "no",
            str(r.version),
        )
    console.print(table)


@rules_app.command("add")
def rules_add(
    priority: int = typer.Option(...),
    field: str = typer.Option(..., help="Raw touchpoint field, e.g. source_name"),
    operator: str = typer.Option("equals", help="equals | in | prefix | regex | any"),
    value: str = typer.Option("", help="Value (comma-separated for 'in')"),
    touchpoint: str = typer.Option(..., help="Touchpoint code, e.g. web"),
    source_system: str = typer.Option(None, help="Source system; none = any"),
) -> None:
    """Add a rule (bumps the rule-set version; run `channelperf remap` to apply it to the past)."""
    try:
        rule = add_rule(priority, source_system, field, operator, value, touchpoint, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Added rule {rule.id} (rule set v{rule.version}).")


@rules_app.command("edit")
def rules_edit(
    rule_id: int,
    priority: int = typer.Option(None),
    field: str = typer.Option(None),
    operator: str = typer.Option(None),
    value: str = typer.Option(None),
    touchpoint: str = typer.Option(None),
    source_system: str = typer.Option(None, help="'' for any source"),
) -> None:
    """Change a rule's attributes (bumps the rule-set version)."""
    try:
        rule = edit_rule(
            rule_id,
            "cli",
            priority=priority,
            source_system=source_system,
            field=field,
            operator=operator,
            value=value,
            touchpoint=touchpoint,
        )
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Rule {rule.id} changed (rule set v{rule.version}).")


@rules_app.command("disable")
def rules_disable(rule_id: int) -> None:
    try:
        rule = set_rule_active(rule_id, False, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Rule {rule.id} disabled (rule set v{rule.version}).")


@rules_app.command("enable")
def rules_enable(rule_id: int) -> None:
    try:
        rule = set_rule_active(rule_id, True, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Rule {rule.id} enabled (rule set v{rule.version}).")


@sources_app.command("list")
def sources_list() -> None:
    """Configured sources with their sync status."""
    table = Table(
        "name", "kind", "instance", "every", "last success", "lag", "rows 24 h", "rejects", "error"
    )
    for s in source_status():
        table.add_row(
            s.name + ("" if s.enabled else " (disabled)"),
            s.kind,
            s.instance,
            f"{s.poll_interval_seconds}s",
            s.last_success.strftime("%Y-%m-%d %H:%M:%S") if s.last_success else "never",
            f"{s.lag.total_seconds():.0f}s" if s.lag is not None else "",
            f"{s.rows_24h:,}",
            str(s.rejects),
            (s.last_error or "")[:80],
        )
    console.print(table)


@sources_app.command("add")
def sources_add(
    name: str,
    kind: str = typer.Option(..., help=" | ".join(KINDS)),
    instance: str = typer.Option(..., help="Source instance, e.g. main-store"),
    base_url: str = typer.Option("", help="API base URL (file: the drop directory)"),
    secret_env: str = typer.Option(None, help="NAME of the env variable with the API credential"),
    webhook_secret_env: str = typer.Option(
        None, help="NAME of the env variable with the webhook secret"
    ),
    interval: int = typer.Option(300, help="Poll interval in seconds"),
    options: str = typer.Option("{}", help='Kind options as JSON, e.g. {"location_ids": ["L1"]}'),
    disabled: bool = typer.Option(False, "--disabled", help="Add without polling it yet"),
) -> None:
    """Configure a source (secrets stay in the environment; only their names are stored)."""
    try:
        parsed = json.loads(options)
        if not isinstance(parsed, dict):
            raise CommandError("--options must be a JSON object")
        source = add_source(
            name,
            kind,
            instance,
            base_url,
            secret_env=secret_env,
            webhook_secret_env=webhook_secret_env,
            poll_interval_seconds=interval,
            enabled=not disabled,
            options=parsed,
            actor="cli",
        )
    except json.JSONDecodeError as exc:
        raise fail(f"--options is not JSON: {exc}") from None
    except CommandError as exc:
        raise fail(str(exc)) from None
    every = source.poll_interval_seconds
    console.print(f"Added source {source.name} ({source.kind}, every {every}s).")


@sources_app.command("enable")
def sources_enable(name: str) -> None:
    try:
        set_source_enabled(name, True, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"{name} enabled.")


@sources_app.command("disable")
def sources_disable(name: str) -> None:
    try:
        set_source_enabled(name, False, actor="cli")
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"{name} disabled.")


@worker_app.command("ingest")
def worker_ingest(
    queue: str = typer.Option(INGEST_QUEUE, help="RQ queue of webhook pushes"),
    tick: float = typer.Option(1.0, help="Seconds between polling rounds"),
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (repeat): a shard")
    ] = None,
) -> None:
    """Poll every enabled source on its interval and run queued pushes, until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    console.print(f"Ingest worker: polling sources, queue {queue!r}. Ctrl-C stops.")
    run_worker(queue=queue, tick=tick, sources=source or None)
