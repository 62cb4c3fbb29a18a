"""Drill-down: channel category → touchpoint → region → store, driven by chart clicks.

The drill path is a list of ``{"code", "name"}`` steps kept in a ``dcc.Store``
(``<prefix>-drill``). Charts that drill put each member's code and name in the
points' ``customdata``; a click appends a step, a breadcrumb button cuts the
path back. The path plus the channel filter give the ``Filters`` of the view and
the level its charts break down by. A page whose data stops at a level (attribution reads
touchpoints, not stores) passes the ``levels`` it breaks down by, in drill-down order.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import html
from dash import no_update

from analytics.channels import CHANNEL_LEVELS
from analytics.channels import FILTER_FIELDS
from analytics.channels import LEVEL_PLURALS
from analytics.channels import level_labels
from analytics.rollup import Filters
from dashapp.callback_values import declare_store
from dashapp.components.filters import split_channel_values

ROOT_LABEL = "All channels"


def store_id(prefix: str) -> str:
    return f"{prefix}-drill"


def crumb_type(prefix: str) -> str:
    return f"{prefix}-crumb"


def steps(codes: list[str], levels: tuple[str, ...] = CHANNEL_LEVELS) -> list[dict]:
    """The drill path of a URL's codes (category first), each step with its display name;
    codes past the page's deepest level are dropped."""
    return [
        {"code": code, "name": level_labels(level, [code])[code]}
        for level, code in zip(levels[:-1], codes, strict=False)
    ]


def drill_path(value) -> bool:
    """A drill store's data: None or its steps, each a code and a name."""
    return value is None or (
        isinstance(value, list)
        and all(
            isinstance(step, dict)
            and isinstance(step.get("code"), str)
            and isinstance(step.get("name"), str)
            for step in value
        )
    )


def level_of(path: list[dict] | None, levels: tuple[str, ...] = CHANNEL_LEVELS) -> str:
    """The level the view breaks down by: the one below the deepest step (stores stay stores)."""
    return levels[min(len(path or []), len(levels) - 1)]


def can_drill(path: list[dict] | None, levels: tuple[str, ...] = CHANNEL_LEVELS) -> bool:
    return len(path or []) < len(levels) - 1


def drill_filters(path: list[dict] | None, channel_values: list[str] | None = None) -> Filters:
    """The channel filter narrowed by every step of the drill path."""
    chosen = split_channel_values(channel_values)
    values = {
        "categories": chosen["categories"],
        "touchpoints": chosen["touchpoints"],
        "regions": (),
        "locations": (),
    }
    for level, step in zip(CHANNEL_LEVELS, path or [], strict=False):
        values[FILTER_FIELDS[level]] = (step["code"],)
    return Filters(**values)


def step_from_click(click_data: dict | None) -> dict | None:
    """The drill step a chart click names (its point's customdata: code, name)."""
    if not click_data or not click_data.get("points"):
        return None
    custom = click_data["points"][0].get("customdata")
    if custom is None:
        return None
    if not isinstance(custom, list | tuple):
        custom = [custom]
    code = custom[0]
    name = custom[1] if len(custom) > 1 else code
    return None if code in (None, "") else {"code": str(code), "name": str(name)}


def breadcrumb(
    prefix: str, path: list[dict] | None, levels: tuple[str, ...] = CHANNEL_LEVELS
) -> html.Nav:
    """``All channels › E-commerce › Web``: each earlier step is a button that goes back to it."""
    path = path or []
    items = [html.Span("Drill-down: ", className="text-secondary me-1")]
    names = [ROOT_LABEL] + [step["name"] for step in path]
    for index, name in enumerate(names):
        if index:
            items.append(html.Span("›", className="mx-1 text-secondary"))
        if index < len(names) - 1:
            items.append(
                dbc.Button(
                    name,
                    id={"type": crumb_type(prefix), "index": index},
                    color="link",
                    size="sm",
                    className="p-0 align-baseline",
                )
            )
        else:
            items.append(html.Span(name, className="fw-semibold"))
    if can_drill(path, levels):
        hint = f" · Click a bar or point to drill into its {LEVEL_PLURALS[levels[len(path) + 1]]}."
    else:
        hint = f" · Deepest level: {LEVEL_PLURALS[levels[-1]]}." if len(levels) > 1 else ""
    level = level_of(path, levels)
    items.append(
        html.Span(
            f" · showing {LEVEL_PLURALS[level]}{hint}",
            className="text-secondary small ms-2",
        )
    )
    return html.Nav(items, id=f"{prefix}-breadcrumb-nav", className="small mb-2")


def register_drilldown(
    prefix: str, graph_ids: list[str], levels: tuple[str, ...] = CHANNEL_LEVELS
) -> None:
    """Chart clicks append a step to ``<prefix>-drill``; breadcrumb buttons cut it back."""
    declare_store(store_id(prefix), drill_path)

    @callback(
        Output(store_id(prefix), "data"),
        *(Input(graph, "clickData") for graph in graph_ids),
        Input({"type": crumb_type(prefix), "index": ALL}, "n_clicks"),
        State(store_id(prefix), "data"),
        prevent_initial_call=True,
    )
    def drill(*values):
        path = list(values[-1] or [])
        trigger = ctx.triggered_id
        if isinstance(trigger, dict):
            if not ctx.triggered or not ctx.triggered[0]["value"]:
                return no_update
            depth = trigger["index"]
            return path[:depth] if type(depth) is int else no_update
        clicks = dict(zip(graph_ids, values[: len(graph_ids)], strict=True))
        step = step_from_click(clicks.get(trigger))
        if step is None or not can_drill(path, levels):
            return no_update
        return [*path, step]
