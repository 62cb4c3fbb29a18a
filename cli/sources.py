"""`channelperf sources …`: configured sources and their sync status."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import fail
from cli.common import failing_on
from db.errors import CommandError
from ingestion.connectors.registry import KINDS
from ingestion.sources import add_source
from ingestion.sources import edit_source
from ingestion.sources import set_source_enabled
from ingestion.sync_status import ingest_backlog
from ingestion.sync_status import source_status

app = typer.Typer(
    name="sources", help="Configured sources and their sync status.", no_args_is_help=True
)


@app.command("list")
def sources_list() -> None:
    """Configured sources with their sync status."""
    table = PlainTable(
        "name",
        "kind",
        "instance",
        "every",
        "last success",
        "lag",
        "rows 24 h",
        "rejects",
        "queued · wait",
        "error",
    )
    statuses = source_status()
    queued, backlog = ingest_backlog([s.name for s in statuses])
    for s in statuses:
        table.add_row(
            s.name + ("" if s.enabled else " (disabled)"),
            s.kind,
            s.instance,
            f"{s.poll_interval_seconds}s",
            s.last_success.strftime("%Y-%m-%d %H:%M:%S") if s.last_success else "never",
            f"{s.lag.total_seconds():.0f}s" if s.lag is not None else "",
            f"{s.rows_24h:,}",
            str(s.rejects),
            queued[s.name].cell(),
            (s.last_error or "")[:80],
        )
    console.print(table)
    if summary := backlog.summary():
        console.print(escape(summary))


@app.command("add")
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
            actor=ACTOR,
        )
    except json.JSONDecodeError as exc:
        raise fail(f"--options is not JSON: {exc}") from None
    except CommandError as exc:
        raise fail(str(exc)) from None
    every = source.poll_interval_seconds
    console.print(escape(f"Added source {source.name} ({source.kind}, every {every}s)."))


@app.command("edit")
def sources_edit(
    name: str,
    kind: str = typer.Option(None, help=" | ".join(KINDS)),
    instance: str = typer.Option(None, help="Source instance, e.g. main-store"),
    base_url: str = typer.Option(None, help="API base URL (file: the drop directory)"),
    secret_env: str = typer.Option(
        None, help='NAME of the env variable with the API credential ("" clears it)'
    ),
    webhook_secret_env: str = typer.Option(
        None, help='NAME of the env variable with the webhook secret ("" clears it)'
    ),
    interval: int = typer.Option(None, help="Poll interval in seconds"),
    options: str = typer.Option(None, help="Kind options as JSON (replaces them)"),
) -> None:
    """Change a source's settings; only the options given change."""
    changes = {
        key: value
        for key, value in (
            ("kind", kind),
            ("instance", instance),
            ("base_url", base_url),
            ("secret_env", secret_env),
            ("webhook_secret_env", webhook_secret_env),
            ("poll_interval_seconds", interval),
        )
        if value is not None
    }
    if options is not None:
        try:
            changes["options"] = json.loads(options)
        except json.JSONDecodeError as exc:
            raise fail(f"--options is not JSON: {exc}") from None
    if not changes:
        raise fail("nothing to change: give at least one option (see --help)")
    with failing_on(CommandError):
        source = edit_source(name, changes, actor=ACTOR)
    console.print(
        escape(
            f"Source {source.name}: {source.kind} {source.instance}, every "
            f"{source.poll_interval_seconds}s, base URL {source.base_url or '—'}."
        )
    )


@app.command("enable")
def sources_enable(name: str) -> None:
    with failing_on(CommandError):
        set_source_enabled(name, True, actor=ACTOR)
    console.print(f"{escape(name)} enabled.")


@app.command("disable")
def sources_disable(name: str) -> None:
    with failing_on(CommandError):
        set_source_enabled(name, False, actor=ACTOR)
    console.print(f"{escape(name)} disabled.")
