"""Filters in the URL: a page's view (period, channels, drill path, options) ↔ its query string.

A page's ``layout(**query)`` reads the query with ``read_view`` and builds its
controls from it; ``register_url_sync`` writes the controls back to the address
bar in the browser (``history.replaceState``: no reload, no page re-render), so
copying the URL shares the view and reloading it restores the view.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from dataclasses import field

from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import clientside_callback
from dash import ctx
from dash import dcc
from dash import no_update

from analytics.periods import Period
from dashapp.callback_values import date_text
from dashapp.callback_values import declare_store
from dashapp.components.filters import PRESETS
from dashapp.components.filters import opening_preset
from dashapp.components.filters import period_controls
from dashapp.components.filters import picked_date
from dashapp.components.filters import preset_period
from dashapp.components.filters import presets_end
from db.settings import get_settings


@dataclass(frozen=True)
class ViewState:
    preset: str
    period: Period
    channels: list[str] = field(default_factory=list)
    drill: list[str] = field(default_factory=list)  # codes, category first
    options: dict[str, str] = field(default_factory=dict)
    note: str | None = None  # why the period is not the page's default one


def _split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def read_view(
    query: dict,
    first_day: dt.date,
    last_day: dt.date,
    default_preset: str = "quarter",
    options: dict[str, tuple[str, ...]] | None = None,
) -> ViewState:
    """The view a query string asks for; anything missing or invalid falls back to defaults
    (the default preset as ``opening_preset`` adjusts it to the presets' last day). Dates in
    the query may reach the data's last day, today included.

    ``options`` maps extra parameter names to their allowed values (first = default).
    """
    fiscal = get_settings().fiscal_year_start_month
    presets_last = presets_end(first_day, last_day)
    default_preset, note = opening_preset(default_preset, presets_last, fiscal)
    preset = query.get("preset") if query.get("preset") in PRESETS else default_preset
    start, end = picked_date(query.get("start")), picked_date(query.get("end"))
    if start and end and first_day <= start <= end <= last_day:
        period = Period(start, end)
        preset = preset if preset_period(preset, presets_last, fiscal) == period else "custom"
    else:
        preset = default_preset if preset == "custom" else preset
        period = preset_period(preset, presets_last, fiscal)
    chosen = {}
    for name, allowed in (options or {}).items():
        value = query.get(name)
        chosen[name] = value if value in allowed else allowed[0]
    return ViewState(
        preset,
        period,
        _split(query.get("channels")),
        _split(query.get("drill")),
        chosen,
        note if preset == default_preset else None,
    )


def controls(prefix: str, first_day: dt.date, last_day: dt.date, view: ViewState):
    """The shared period controls with the view's preset selected (and why, if not the default)."""
    return period_controls(prefix, first_day, last_day, view.period, view.preset, view.note)


def register_period_sync(prefix: str) -> None:
    """A preset sets the dates; editing the dates switches the preset to "custom"."""
    declare_store(f"{prefix}-bounds", _bounds)

    @callback(
        Output(f"{prefix}-preset", "value"),
        Output(f"{prefix}-dates", "start_date"),
        Output(f"{prefix}-dates", "end_date"),
        Input(f"{prefix}-preset", "value"),
        Input(f"{prefix}-dates", "start_date"),
        Input(f"{prefix}-dates", "end_date"),
        State(f"{prefix}-bounds", "data"),
        prevent_initial_call=True,
    )
    def sync_period(preset, start, end, bounds):
        if ctx.triggered_id == f"{prefix}-preset":
            if preset == "custom":
                return no_update, no_update, no_update
            period = preset_period(
                preset,
                presets_end(picked_date(bounds["first"]), picked_date(bounds["last"])),
                get_settings().fiscal_year_start_month,
            )
            return no_update, period.start.isoformat(), period.end.isoformat()
        return "custom", no_update, no_update


def _bounds(value) -> bool:
    """The data range a page wrote into its bounds store (``bounds_store``)."""
    return isinstance(value, dict) and all(
        value.get(end) is not None and date_text(value[end]) for end in ("first", "last")
    )


def bounds_store(prefix: str, first_day: dt.date, last_day: dt.date) -> dcc.Store:
    return dcc.Store(
        id=f"{prefix}-bounds", data={"first": first_day.isoformat(), "last": last_day.isoformat()}
    )


def sink_id(prefix: str) -> str:
    return f"{prefix}-url-sink"


def register_url_sync(prefix: str, params: list[tuple[str, str, str]]) -> None:
    """Write ``(component id, property, parameter)`` values to the query string on every change.

    Lists are joined with commas (drill steps by their codes); dates keep YYYY-MM-DD.
    """
    names = json.dumps([name for _component, _prop, name in params])
    clientside_callback(
        f"""
        function() {{
            const names = {names};
            const DATE_TIME = /^\\d{{4}}-\\d{{2}}-\\d{{2}}T/;
            const query = new URLSearchParams();
            Array.from(arguments).forEach(function(value, i) {{
                if (value === null || value === undefined || value === '') return;
                if (Array.isArray(value)) {{
                    value = value.map(function(v) {{
                        return (v !== null && typeof v === 'object') ? v.code : v;
                    }}).join(',');
                    if (!value) return;
                }} else if (typeof value === 'string' && DATE_TIME.test(value)) {{
                    value = value.slice(0, 10);
                }}
                query.set(names[i], value);
            }});
            const text = query.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
            window.history.replaceState(window.history.state, '',
                window.location.pathname + (text ? '?' + text : ''));
            return text;
        }}
        """,
        Output(sink_id(prefix), "data"),
        *(Input(component, prop) for component, prop, _name in params),
    )
