"""The `channelperf` command: every command module mounted on one typer app, one line each."""

from __future__ import annotations

import typer
from rich.markup import escape

from cli import (
    alerts,
    anomalies,
    attribution,
    audit,
    budget,
    channel_rules,
    channels,
    db,
    demo,
    forecast,
    ingest,
    mapping,
    metrics,
    pricing,
    quality,
    reference,
    rejects,
    remap,
    reports,
    serve,
    sources,
    training,
    users,
    worker,
)
from cli.common import errors
from db.settings import ConfigurationError, get_settings

app = typer.Typer(
    help="Channel Performance: channel KPIs, targets, alerts and forecasts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app)
app.add_typer(users.app)
app.add_typer(demo.app)
app.add_typer(ingest.app)
app.add_typer(mapping.app)
app.add_typer(rejects.app)
app.add_typer(channel_rules.app)
app.add_typer(channels.app)
app.add_typer(remap.app)
app.add_typer(sources.app)
app.add_typer(reference.app)
app.add_typer(worker.app)
app.add_typer(metrics.app)
app.add_typer(quality.app)
app.add_typer(audit.app)
app.add_typer(reports.app)
app.add_typer(alerts.app)
app.add_typer(training.app)
app.add_typer(anomalies.app)
app.add_typer(forecast.app)
app.add_typer(serve.app)
app.add_typer(attribution.app)
app.add_typer(pricing.app)
app.add_typer(budget.app)


@app.callback()
def check_configuration() -> None:
    """Every command reads the environment's settings first: a bad one is one line, exit 2."""
    try:
        get_settings()
    except ConfigurationError as error:
        errors.print(f"[red]{escape(str(error))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
