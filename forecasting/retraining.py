"""Starting a retraining from the app or the shell: the command that checks its actor.

The job machinery is ``forecasting.jobs.enqueue_training``; the nightly schedule calls it
directly as the scheduler. A person starts one through ``start_training``, data scientists
and up, recorded as the jobs' ``requested_by``.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.roles import Actor
from forecasting import store
from forecasting.jobs import enqueue_training


def start_training(
    actor: Actor, groups: Sequence[str] | None = None, in_background: bool = False, **params
) -> list[int]:
    """Queue a retraining of ``groups`` (default: every group); returns the job ids. Without a
    job queue the jobs run in this process, ``in_background`` in a thread of their own."""
    actor.require("data_scientist", "start model training")
    return enqueue_training(groups, requested_by=actor.name, in_background=in_background, **params)


def started_message(ids: Sequence[int], url: str | None = None) -> str:
    """What a person who started ``ids`` is told: queued for a worker, training in this server
    (no job queue configured), or, when they ran before ``start_training`` returned, how each
    one ended."""
    jobs = [store.get_job(job_id, url) for job_id in ids]
    listed = ", ".join(str(job_id) for job_id in ids)
    if any(job["status"] in store.ACTIVE and job["rq_job_id"] for job in jobs):
        return f"Training jobs {listed} queued: their progress shows above."
    if any(job["status"] in store.ACTIVE for job in jobs):
        return (
            f"Training jobs {listed} started in this server, one after another (no job queue "
            "configured): their progress shows above."
        )
    ended = ", ".join(f"{job['id']} {job['status']}" for job in jobs)
    return f"Training ran here, with no job queue configured: jobs {ended}."
