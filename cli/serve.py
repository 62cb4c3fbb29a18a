"""`channelperf serve`: the dashboards and the API under gunicorn."""

from __future__ import annotations

import typer

from cli.common import port_option

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8050, help="Port"),
    workers: int = typer.Option(2, help="gunicorn worker processes"),
    threads: int = typer.Option(4, help="Threads per worker"),
) -> None:
    """Serve the dashboards (gunicorn)."""
    from dashapp.server import serve as run

    run(host, port_option(port), workers, threads)
