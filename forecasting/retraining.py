"""Starting a retraining from the app or the shell: the command that checks its actor.

The job machinery is ``forecasting.jobs.enqueue_training``; the nightly schedule calls it
directly as the scheduler. A person starts one through ``start_training``, data scientists
and up, recorded as the jobs' ``requested_by``.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.roles import Actor
from forecasting.jobs import enqueue_training


def start_training(actor: Actor, groups: Sequence[str] | None = None, **params) -> list[int]:
    """Queue a retraining of ``groups`` (default: every group); returns the job ids."""
    actor.require("data_scientist", "start model training")
    return enqueue_training(groups, requested_by=actor.name, **params)
