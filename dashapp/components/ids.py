"""A page's component ids, declared in one line from its prefix.

``IDS = page_ids("budget", "total objective download_button")`` gives ``IDS.total ==
"budget-total"`` and ``IDS.download_button == "budget-download-button"`` (an underscore in a
name is a dash in the id). Every id starts with the page's prefix, which is what the callback
guard (``dashapp/callback_guard.py``) matches a callback to its page by.
"""

from __future__ import annotations

from types import SimpleNamespace


def page_ids(prefix: str, names: str) -> SimpleNamespace:
    """The ids ``<prefix>-<name>`` for the space-separated ``names``, as attributes."""
    return SimpleNamespace(**{name: f"{prefix}-{name.replace('_', '-')}" for name in names.split()})
