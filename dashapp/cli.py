"""The `channelperf` command: every package's commands under one typer app."""

from __future__ import annotations

import typer
from rich.console import Console

from analytics.alerts_cli import app as alerts_app
from analytics.cli import anomalies
from analytics.metrics_cli import metrics_command
from analytics.quality_cli import app as quality_app
from cli.attribution import attribution_command
from cli.budget import budget_command
from cli.pricing import elasticity_command
from db.cli import db_app, users_app
from db.settings import ConfigurationError, get_settings
from forecasting.cli import forecast_command
from forecasting.worker_cli import (
    mlflow_ui_command,
    schedule_command,
    train_command,
    worker_command,
)
from ingestion.cli import app as ingestion_app
from ingestion.ingest_cli import app as ingest_cli_app
from ingestion.ingest_cli import worker_app

app = typer.Typer(
    help="Channel Performance: channel KPIs, targets, alerts and forecasts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def check_configuration() -> None:
    """Every command reads the environment's settings first: a bad one is one line, exit 2."""
    try:
        get_settings()
    except ConfigurationError as error:
        Console(stderr=True).print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(ingestion_app)
app.add_typer(ingest_cli_app)
app.command("metrics")(metrics_command)
app.add_typer(quality_app)
app.add_typer(alerts_app, name="alerts")
app.command("train")(train_command)
app.command("schedule")(schedule_command)
app.command("mlflow-ui")(mlflow_ui_command)
worker_app.command("jobs")(worker_command)
app.command("anomalies")(anomalies)
app.command("forecast")(forecast_command)
app.command("attribution")(attribution_command)
app.command("elasticity")(elasticity_command)
app.command("budget")(budget_command)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8050, help="Port"),
    workers: int = typer.Option(2, help="gunicorn worker processes"),
    threads: int = typer.Option(4, help="Threads per worker"),
) -> None:
    """Serve the dashboards (gunicorn)."""
    from dashapp.server import serve as run

    run(host, port, workers, threads)


if __name__ == "__main__":
    app()
