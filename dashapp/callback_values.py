"""The values a callback request may carry, by property: what the page's components send.

The guard refuses (400) a request whose value for a property is of a kind no component
could send (a dict for a button's click count, a list for a date), so a crafted request
reaches no callback with it. Values of the right kind but meaningless content (an
unknown status, a date that does not exist) are each callback's to refuse with a message.
A store's ``data`` is whatever its page wrote there, so every store a callback reads is
declared with its shape (``declare_store``): the guard refuses any ``data`` of a store that is
not. Pages declare the fields that only hold text too (``dashapp.components.ids.texts``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from analytics.periods import supported

SCALARS = (str, int, float, bool)


def _whole(value: Any) -> bool:
    """A count or a row id: a non-negative integer a database column holds."""
    return type(value) is int and 0 <= value < 2**63


def _count(value: Any) -> bool:
    return value is None or _whole(value)


def _string(value: Any) -> bool:
    """Text a person could type: no NUL character (which no field sends, and PostgreSQL's text
    cannot hold)."""
    return isinstance(value, str) and "\x00" not in value


def _scalar(value: Any) -> bool:
    return _string(value) if isinstance(value, str) else isinstance(value, SCALARS)


def text(value: Any) -> bool:
    return value is None or _string(value)


def _choice(value: Any) -> bool:
    """An input's text or number, a checkbox's state, a single or multiple choice."""
    if isinstance(value, list):
        return all(_scalar(v) for v in value)
    return value is None or _scalar(value)


def texts_list(value: Any) -> bool:
    """A multiple choice of text options."""
    return value is None or (isinstance(value, list) and all(_string(v) for v in value))


def optional_id(value: Any) -> bool:
    """A store holding the id of the row a page shows (None before one is chosen)."""
    return value is None or _whole(value)


def rows_with_ids(value: Any) -> bool:
    """A grid's selected rows, each carrying its database id."""
    return objects(value) and all(_whole(row.get("id")) for row in value or [])


def path(value: Any) -> bool:
    """The address bar's path: absolute, as the browser sends it."""
    return value is None or (_string(value) and value.startswith("/"))


def date_text(value: Any) -> bool:
    """A date picker's value: YYYY-MM-DD, maybe followed by a time, of a day the analyses
    handle (``analytics.periods.supported``)."""
    if value is None:
        return True
    try:
        return supported(dt.date.fromisoformat(value[:10]))
    except (TypeError, ValueError):
        return False


def objects(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(v, dict) for v in value))


def _click(value: Any) -> bool:
    """A chart's click: its points, each a dict."""
    return value is None or (isinstance(value, dict) and objects(value.get("points")))


def _any(_value: Any) -> bool:
    return True


def _undeclared(_value: Any) -> bool:
    """A store's data, unless its page declared the store's shape: nothing fits."""
    return False


def job_id(value: Any) -> bool:
    """A store holding the id of a queued job (RQ names each by a UUID), or None."""
    if value is None:
        return True
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def flag(value: Any) -> bool:
    """A store holding a yes or no."""
    return value is None or isinstance(value, bool)


def message(value: Any) -> bool:
    """A store holding what a form did, for the page's message: ``{"text", "ok"}`` or None."""
    return value is None or (
        isinstance(value, dict)
        and isinstance(value.get("text"), str)
        and isinstance(value.get("ok"), bool)
    )


SHAPES = {
    "n_clicks": _count,
    "n_intervals": _count,
    "contents": text,
    "filename": text,
    "pathname": path,
    "search": text,
    "start_date": date_text,
    "end_date": date_text,
    "date": date_text,
    "value": _choice,
    "selectedRows": objects,
    "clickData": _click,
    "id": _any,
    "data": _undeclared,
}


_DECLARED: dict[tuple[str, str], Callable[[Any], bool]] = {}


def declare(component_id: str, prop: str, shape: Callable[[Any], bool]) -> None:
    """Hold every request's ``prop`` of ``component_id`` to ``shape`` (a store's data, a
    text field's value), in place of the property's own shape."""
    _DECLARED[component_id, prop] = shape


def declare_store(store_id: str, shape: Callable[[Any], bool]) -> None:
    """Hold a store's ``data`` in every request to ``shape`` (else none is accepted)."""
    declare(store_id, "data", shape)


def is_declared(component_id: str | dict, prop: str) -> bool:
    """Whether a page declared the shape of this component's ``prop``."""
    return isinstance(component_id, str) and (component_id, prop) in _DECLARED


def fits(component_id: str | dict, prop: str, value: Any) -> bool:
    """Whether the page could send ``value`` for ``prop`` (an unknown property: never)."""
    if isinstance(component_id, str) and (component_id, prop) in _DECLARED:
        return _DECLARED[component_id, prop](value)
    shape = SHAPES.get(prop)
    return shape is not None and shape(value)
