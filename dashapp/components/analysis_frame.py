"""The frame the analysis pages share: the controls row (period, channels, one page option), the
drill-down with its breadcrumb, the stores, the empty state and the selection a callback reads.

A page makes one ``AnalysisFrame`` with its id prefix, builds its layout with
``frame.layout(query, heading, *content)``, registers the frame's callbacks once with
``frame.register(charts, grids)``, and registers its data callback with
``@frame.callback(outputs)``, which reads the controls' selection and answers the breadcrumb
(a callback of its own reads them through ``*frame.inputs`` and ``frame.selection(...)``).
The view is kept in the URL (``url_state``).
A page with more than one option passes them all in ``options``; a page whose data stops at a
channel level passes the ``levels`` it breaks down by (a leading part of ``CHANNEL_LEVELS``, or
one level: no drill-down).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import callback
from dash import dcc
from dash import html

from analytics.channels import CHANNEL_LEVELS
from analytics.channels import LEVEL_LABELS
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import data_range
from dashapp.access import allowed
from dashapp.access import page_for_path
from dashapp.auth import current_role
from dashapp.callback_values import declare
from dashapp.components import drilldown
from dashapp.components import url_state
from dashapp.components.filters import channel_filter
from dashapp.components.filters import picked_period
from dashapp.components.grid import register_csv_export
from dashapp.components.ids import date_range
from dashapp.components.ids import text_choices


@dataclass(frozen=True)
class PageOption:
    """One more control of the row, kept in the URL as ``name``: its choices (value → label),
    the first one the default."""

    name: str
    label: str
    choices: dict[str, str]

    def offers(self, value) -> bool:
        """Whether ``value`` is one of the choices (the control cannot be cleared)."""
        return isinstance(value, str) and value in self.choices


@dataclass(frozen=True)
class Selection:
    """What the controls select; ``period`` is None, with ``problem`` saying why, until a
    period is chosen."""

    period: Period | None
    level: str
    level_label: str
    filters: Filters
    crumbs: html.Nav
    problem: dbc.Alert | None = None


def flagged(message: str, names, color: str, **props) -> dbc.Alert | None:
    """A banner naming the channels a page flags (``message: A, B``); None when there are none."""
    names = [str(name) for name in names]
    if not names:
        return None
    return dbc.Alert(f"{message}: {', '.join(names)}", color=color, className="py-2 mb-2", **props)


def refusal(reason: Exception | str, color: str = "warning", **props) -> dbc.Alert:
    """A dismissible alert saying why the page cannot show what was asked (bad input, no data):
    the reason as a sentence."""
    text = str(reason)
    return dbc.Alert(f"{text[:1].upper()}{text[1:]}.", color=color, dismissable=True, **props)


SOURCES_PATH = "/admin/sources"
UPLOAD_PATH = "/admin/sources/upload"


def no_data(prefix: str) -> dbc.Alert:
    """What an analysis page shows before any order is loaded: to a role that may load data,
    where to do it in the app; to the others, who does."""
    if allowed(page_for_path(SOURCES_PATH), current_role()):
        how = [
            "Connect a source on ",
            dcc.Link("Sources", href=SOURCES_PATH),
            " or load an export on ",
            dcc.Link("Upload data", href=UPLOAD_PATH),
            "; this page fills in after the first load. To look around with sample data, run "
            "`channelperf demo-data`.",
        ]
    else:
        how = "An administrator connects the sources; this page fills in after the first load."
    return dbc.Alert(
        [html.H4("No orders loaded yet", className="alert-heading"), html.P(how, className="mb-0")],
        color="info",
        id=f"{prefix}-empty",
    )


@dataclass(frozen=True)
class AnalysisFrame:
    prefix: str
    default_preset: str = "quarter"
    option: PageOption | None = None
    # Large-screen column widths of the period controls, the channel filter and the options
    # (a row wraps past 12).
    widths: tuple[int, ...] = (6, 4, 2)
    options: tuple[PageOption, ...] = ()
    levels: tuple[str, ...] = CHANNEL_LEVELS
    ids: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        names = ("channels", "dates", "preset", "breadcrumb")
        ids = {name: f"{self.prefix}-{name}" for name in names}
        ids |= {"drill": drilldown.store_id(self.prefix), "url": url_state.sink_id(self.prefix)}
        if self.option:
            ids["option"] = f"{self.prefix}-{self.option.name}"
        ids |= {o.name: f"{self.prefix}-{o.name}" for o in self.options}
        object.__setattr__(self, "ids", ids)
        for option in self.all_options:
            declare(self.option_id(option), "value", option.offers)

    @property
    def all_options(self) -> tuple[PageOption, ...]:
        return ((self.option,) if self.option else ()) + self.options

    def option_id(self, option: PageOption) -> str:
        return self.ids["option" if option is self.option else option.name]

    @property
    def inputs(self) -> list[Input]:
        """The controls a data callback reads: start, end, channels, drill path (and options)."""
        ids = self.ids
        inputs = [
            *date_range(ids["dates"]),
            *text_choices(ids["channels"]),
            Input(ids["drill"], "data"),
        ]
        return inputs + [Input(self.option_id(o), "value") for o in self.all_options]

    @property
    def breadcrumb(self) -> Output:
        return Output(self.ids["breadcrumb"], "children")

    def layout(self, query: dict, heading, *content) -> html.Div | dbc.Alert:
        """The page: its heading, the controls row as the URL's query sets them, the breadcrumb,
        then ``content``; the empty state while there is no data."""
        bounds = data_range()
        if bounds is None:
            return no_data(self.prefix)
        first, last = bounds
        options = {o.name: tuple(o.choices) for o in self.all_options}
        view = url_state.read_view(query, first, last, self.default_preset, options)
        controls = [
            url_state.controls(self.prefix, first, last, view),
            channel_filter(self.ids["channels"], view.channels),
            *(self._option_control(o, view.options[o.name]) for o in self.all_options),
        ]
        return html.Div(
            [
                *(heading if isinstance(heading, list) else [heading]),
                url_state.bounds_store(self.prefix, first, last),
                dcc.Store(id=self.ids["drill"], data=drilldown.steps(view.drill, self.levels)),
                dcc.Store(id=self.ids["url"]),
                dbc.Row(
                    [
                        dbc.Col(c, lg=self.widths[i] if i < len(self.widths) else 2)
                        for i, c in enumerate(controls)
                    ],
                    className="mb-2 g-3 align-items-end",
                ),
                html.Div(id=self.ids["breadcrumb"]),
                *content,
            ]
        )

    def _option_control(self, option: PageOption, value: str) -> list:
        control_id = self.option_id(option)
        return [
            dbc.Label(option.label, html_for=control_id, className="small text-secondary mb-0"),
            dcc.Dropdown(
                id=control_id,
                options=[{"label": label, "value": key} for key, label in option.choices.items()],
                value=value,
                clearable=False,
            ),
        ]

    def register(self, charts: list[str], grids: list[str]) -> None:
        """The frame's callbacks: presets ↔ dates, chart clicks drill down, grids export CSV,
        the controls write the URL."""
        ids = self.ids
        url_state.register_period_sync(self.prefix)
        drilldown.register_drilldown(self.prefix, charts, self.levels)
        for grid in grids:
            register_csv_export(grid)
        params = [
            (ids["preset"], "value", "preset"),
            (ids["dates"], "start_date", "start"),
            (ids["dates"], "end_date", "end"),
            (ids["channels"], "value", "channels"),
            (ids["drill"], "data", "drill"),
        ]
        params += [(self.option_id(o), "value", o.name) for o in self.all_options]
        url_state.register_url_sync(self.prefix, params)

    def callback(self, *outputs, blank: tuple | None = None, more: tuple = ()):
        """Register the page's data callback ``update(selection, *options, *more values)``: it
        answers ``outputs``, after the breadcrumb the frame answers. With ``blank``, a
        selection with a problem (no period yet) answers the problem in the first output and
        ``blank`` in the others, without calling ``update``."""

        def register(update):
            def answer(start, end, channels, path, *rest):
                chosen = self.selection(start, end, channels, path)
                if blank is not None and chosen.problem:
                    return chosen.crumbs, chosen.problem, *blank
                return chosen.crumbs, *update(chosen, *rest)

            callback(self.breadcrumb, *outputs, *self.inputs, *more)(answer)
            return update

        return register

    def selection(self, start, end, channels, path) -> Selection:
        """The period, the level the view breaks down by and the filters the controls select."""
        level = drilldown.level_of(path, self.levels)
        try:
            period, problem = picked_period(start, end), None
        except AnalyticsError as exc:
            period, problem = None, dbc.Alert(f"{str(exc).capitalize()}.", color="warning")
        return Selection(
            period,
            level,
            LEVEL_LABELS[level],
            drilldown.drill_filters(path, channels),
            drilldown.breadcrumb(self.prefix, path, self.levels),
            problem,
        )
