"""The `channelperf` command: every package's commands under one typer app."""

from __future__ import annotations

import typer

from analytics.cli import anomalies
from db.cli import db_app, users_app
from forecasting.cli import forecast_command
from ingestion.cli import app as ingestion_app

app = typer.Typer(
    help="Channel Performance: channel KPIs, targets, alerts and forecasts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(ingestion_app)
app.command("anomalies")(anomalies)
app.command("forecast")(forecast_command)


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
