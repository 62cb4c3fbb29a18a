"""``channelperf train | schedule | mlflow-ui``: the forecasting service commands."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
from rich.progress import BarColumn
from rich.progress import Progress
from rich.progress import TextColumn

from cli.common import ACTOR
from cli.common import fail
from cli.common import failing_on
from cli.common import port_option
from cli.common import redis_url
from db.jobs import redis_connection
from db.settings import get_settings
from forecasting.errors import ForecastingError
from forecasting.job_watch import wait_for
from forecasting.jobs import GROUPS
from forecasting.jobs import NIGHTLY_CRON
from forecasting.jobs import QUEUE
from forecasting.jobs import register_nightly
from forecasting.mlflow_ui import serve_ui
from forecasting.retraining import start_training

app = typer.Typer()


def _quiet_mlflow() -> None:
    """Keep MLflow's warnings and errors but not its per-model chatter (an INFO line and an
    artifact progress bar for each model logged), which would bury the training progress."""
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"


@app.command("train")
def train_command(
    group: Annotated[
        list[str] | None, typer.Option("--group", help=f"Series group(s): {', '.join(GROUPS)}.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for queued jobs to finish.")] = False,
) -> None:
    """Retrain the forecasting models (queued on Redis, or now in-process without it)."""
    unknown = [g for g in group or [] if g not in GROUPS]
    if unknown:
        raise fail(f"unknown group(s) {unknown}; groups: {', '.join(GROUPS)}")
    _quiet_mlflow()
    with failing_on(ForecastingError):
        ids = start_training(ACTOR, group or None)
    if get_settings().redis_url and not wait:
        typer.echo(f"queued training jobs {ids} on {QUEUE!r}")
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[message]}"))
    with Progress(*columns) as progress:
        tasks = {i: progress.add_task(f"job {i}", total=1.0, message="") for i in ids}

        def show(rows) -> None:
            for row in rows.itertuples(index=False):
                label = f"job {row.id} {row.series_group}"
                progress.update(
                    tasks[row.id], completed=row.progress, description=label, message=row.message
                )

        rows = wait_for(ids, on_update=show)
    failed = rows[rows["status"] != "succeeded"]
    for row in failed.itertuples(index=False):
        typer.echo(f"job {row.id} ({row.series_group}) {row.status}: {row.error}", err=True)
    if not failed.empty:
        raise typer.Exit(1)


@app.command("schedule")
def schedule_command(
    cron: Annotated[str, typer.Option("--cron", help="When to retrain (cron syntax, UTC).")] = (
        NIGHTLY_CRON
    ),
) -> None:
    """Run RQ's cron scheduler with the nightly retraining of every series group."""
    from croniter import croniter
    from rq.cron import CronScheduler

    if not croniter.is_valid(cron):
        raise fail(f"{cron!r} is not a valid cron expression")
    scheduler = CronScheduler(connection=redis_connection(redis_url()))
    register_nightly(scheduler, cron=cron)
    typer.echo(f"nightly retraining scheduled ({cron}) on queue {QUEUE!r}")
    scheduler.start()


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("mlflow-ui")
def mlflow_ui_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 5000,
) -> None:
    """Serve the MLflow UI over the tracking store, light: one worker, no job runner.

    It has no sign-in of its own, so it listens on this machine only; production runs
    MLflow behind its basic-auth app (docker-compose.yml).
    """
    if host not in LOOPBACK:
        raise fail(f"the local MLflow UI has no sign-in and listens on 127.0.0.1 only, not {host}")
    try:
        code = serve_ui(host, port_option(port))
    except OSError as exc:
        raise fail(f"cannot start mlflow: {exc}") from exc
    raise typer.Exit(code)
