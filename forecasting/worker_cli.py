"""``channelperf train | worker | schedule | mlflow-ui``: the forecasting service commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn

from db.jobs import QUEUES, redis_connection
from db.settings import get_settings
from forecasting import registry
from forecasting.jobs import (
    GROUPS,
    NIGHTLY_CRON,
    QUEUE,
    enqueue_training,
    register_nightly,
    wait_for,
)

app = typer.Typer(help="Forecasting service: training jobs, workers, schedule, MLflow UI.")


def _redis_url() -> str:
    url = get_settings().redis_url
    if not url:
        typer.echo("error: CHANNELPERF_REDIS_URL is not set; workers need Redis", err=True)
        raise typer.Exit(2)
    return url


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
        typer.echo(f"error: unknown group(s) {unknown}; groups: {', '.join(GROUPS)}", err=True)
        raise typer.Exit(2)
    ids = enqueue_training(group or None, requested_by="cli")
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


@app.command("worker")
def worker_command(
    queues: Annotated[str, typer.Option("--queues", help="Comma-separated queues.")] = ",".join(
        (QUEUE, "ingest", "alerts", "default")
    ),
    with_scheduler: Annotated[
        bool, typer.Option("--with-scheduler", help="Also run scheduled (enqueue_at) jobs.")
    ] = False,
    burst: Annotated[bool, typer.Option("--burst", help="Stop when the queues are empty.")] = False,
) -> None:
    """Run an RQ worker (it forks a work horse per job, before any model is fitted)."""
    from rq import Queue, Worker

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in names if q not in QUEUES]
    if not names or unknown:
        typer.echo(f"error: unknown queue(s) {unknown}; queues: {', '.join(QUEUES)}", err=True)
        raise typer.Exit(2)
    connection = redis_connection(_redis_url())
    worker = Worker([Queue(n, connection=connection) for n in names], connection=connection)
    worker.work(with_scheduler=with_scheduler, burst=burst)


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
        typer.echo(f"error: {cron!r} is not a valid cron expression", err=True)
        raise typer.Exit(2)
    scheduler = CronScheduler(connection=redis_connection(_redis_url()))
    register_nightly(scheduler, cron=cron)
    typer.echo(f"nightly retraining scheduled ({cron}) on queue {QUEUE!r}")
    scheduler.start()


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def mlflow_ui_command_line(host: str, port: int, uri: str) -> list[str]:
    """``mlflow server`` over the store, one worker; artifacts as the store's experiments say."""
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        uri,
    ]
    artifacts = registry.artifact_location(uri)
    if artifacts:
        command += ["--default-artifact-root", artifacts]
    return command


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
        typer.echo(
            f"error: the local MLflow UI has no sign-in and listens on 127.0.0.1 only, not {host}",
            err=True,
        )
        raise typer.Exit(2)
    uri = registry.tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS": "false",
    }
    try:
        code = subprocess.call(mlflow_ui_command_line(host, port, uri), env=env)
    except OSError as exc:
        typer.echo(f"error: cannot start mlflow: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)
