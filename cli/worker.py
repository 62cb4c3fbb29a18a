"""`channelperf worker …`: the long-running workers (ingest polling and webhooks; RQ jobs)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.markup import escape

from cli.common import console
from cli.common import fail
from cli.common import redis_url
from db.jobs import QUEUES
from db.jobs import redis_connection
from forecasting.jobs import QUEUE
from ingestion.queues import INGEST_QUEUE
from ingestion.sources import list_sources
from ingestion.worker import run_worker

app = typer.Typer(name="worker", help="Long-running workers.", no_args_is_help=True)


@app.command("ingest")
def worker_ingest(
    queue: str = typer.Option(
        INGEST_QUEUE, help="The shared RQ queue; each source's pushes wait on QUEUE.<source>"
    ),
    tick: float = typer.Option(1.0, help="Seconds between polling rounds"),
    source: Annotated[
        list[str] | None, typer.Option(help="Only this source (repeat): a shard")
    ] = None,
) -> None:
    """Poll every enabled source on its interval and run queued pushes, until stopped."""
    if not tick >= 0:
        raise fail(f"--tick must be 0 or more seconds, got {tick}")
    unknown = sorted(set(source or ()) - {s.name for s in list_sources()})
    if unknown:
        raise fail(f"no source named {', '.join(unknown)}; see `channelperf sources list`")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    shard = ", ".join(source) if source else "every source"
    queues = escape(f"{queue!r} and {queue}.<source>")
    console.print(f"Ingest worker: polling {escape(shard)}; queues {queues}. Ctrl-C stops.")
    run_worker(queue=queue, tick=tick, sources=source or None)


@app.command("jobs")
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
    from rq import Queue
    from rq import Worker

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in names if q not in QUEUES]
    if not names or unknown:
        raise fail(f"unknown queue(s) {unknown}; queues: {', '.join(QUEUES)}")
    connection = redis_connection(redis_url())
    worker = Worker([Queue(n, connection=connection) for n in names], connection=connection)
    worker.work(with_scheduler=with_scheduler, burst=burst)
