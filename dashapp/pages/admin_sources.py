"""Admin › Sources (admins only): configured sources and their sync status, refreshed live; add,
edit, enable, disable and sync a source; a link to the file upload."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update
from flask import current_app

from dashapp.access import page_for_path
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.callback_values import declare_store
from dashapp.callback_values import message
from dashapp.callback_values import text
from dashapp.components.forms import form_row
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import choices
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.status import status_alert
from dashapp.hooks import QUEUE_CONFIG
from dashapp.pages import ADMIN
from db.errors import CommandError
from db.jobs import JobRef
from db.jobs import has_worker
from ingestion.connectors.registry import KINDS
from ingestion.queues import INGEST_QUEUE
from ingestion.queues import source_queue
from ingestion.sources import add_source
from ingestion.sources import edit_source
from ingestion.sources import find_source
from ingestion.sources import request_sync
from ingestion.sources import set_source_enabled
from ingestion.sources import sync_counts
from ingestion.sync_status import QueueBacklog
from ingestion.sync_status import SourceStatus
from ingestion.sync_status import data_as_of
from ingestion.sync_status import duration_text
from ingestion.sync_status import ingest_backlog
from ingestion.sync_status import source_status

PREFIX = "admin-sources"
register_page(__name__, path="/admin/sources", title="Sources", prefix=PREFIX, order=95, **ADMIN)
UPLOAD_PATH = "/admin/sources/upload"

# IDS.changed: {"text", "ok"}: what the form did, for the page's message
# IDS.form_mode: {"edit": name}, or {"edit": None} when adding
IDS = page_ids(
    PREFIX,
    "grid as_of refresh target sync enable disable new edit message changed form form_mode "
    "form_title form_name form_kind form_instance form_base_url form_secret_env "
    "form_webhook_env form_interval form_enabled form_message form_save form_cancel acted "
    "working",
)
# The add / edit form (a modal).
FORM_FIELDS = (
    IDS.form_name,
    IDS.form_kind,
    IDS.form_instance,
    IDS.form_base_url,
    IDS.form_secret_env,
    IDS.form_webhook_env,
    IDS.form_interval,
    IDS.form_enabled,
)
declare_store(IDS.changed, message)
declare_store(IDS.acted, message)


def _form_mode(value) -> bool:
    return isinstance(value, dict) and set(value) == {"edit"} and text(value["edit"])


declare_store(IDS.form_mode, _form_mode)
REFRESH_MS = 15_000
DEFAULT_INTERVAL = 300

COLUMNS = [
    column("name", "Source", minWidth=150),
    column("kind", "Kind", maxWidth=110),
    column("instance", "Instance", minWidth=120),
    column("every", "Every", maxWidth=100),
    column("last_success", "Last success (UTC)", minWidth=185, cellDataType="text"),
    column("lag", "Lag", maxWidth=100),
    column("rows", "Rows 24 h", "number", minWidth=125, maxWidth=140),
    column("rejects", "Quarantined", "number", minWidth=140, maxWidth=150),
    column(
        "queued",
        "Queued",
        minWidth=115,
        maxWidth=130,
        headerTooltip="Jobs waiting on the source's own queue · how long the first has waited",
    ),
    column("error", "Last error", flex=2, minWidth=200, tooltipField="error"),
]


def _row(s: SourceStatus, queued: QueueBacklog) -> dict:
    return {
        "name": s.name if s.enabled else f"{s.name} (disabled)",
        "kind": s.kind,
        "instance": s.instance,
        "every": duration_text(dt.timedelta(seconds=s.poll_interval_seconds)),
        "last_success": s.last_success.strftime("%Y-%m-%d %H:%M:%S") if s.last_success else "never",
        "lag": duration_text(s.lag),
        "rows": s.rows_24h,
        "rejects": s.rejects,
        "queued": queued.cell(),
        "error": s.last_error or "",
    }


def _as_of(backlog: QueueBacklog) -> str:
    stamp = data_as_of()
    loaded = (
        "No data loaded yet."
        if stamp is None
        else f"Data as of {stamp.strftime('%Y-%m-%d %H:%M:%S')} UTC."
    )
    return f"{loaded} {backlog.summary()}".rstrip()


def _view() -> tuple[list[dict], str, list[dict]]:
    statuses = source_status()
    queued, backlog = ingest_backlog(
        [s.name for s in statuses], current_app.config.get(QUEUE_CONFIG, INGEST_QUEUE)
    )
    options = [{"label": s.name, "value": s.name} for s in statuses]
    return [_row(s, queued[s.name]) for s in statuses], _as_of(backlog), options


# --- layout -------------------------------------------------------------------------------


def _form_modal() -> html.Div:
    kinds = [{"label": k, "value": k} for k in KINDS]
    form_rows = [
        form_row(
            "Name", dbc.Input(id=IDS.form_name, placeholder="e.g. shop-eu"), "Fixed once added."
        ),
        form_row("Kind", dbc.Select(id=IDS.form_kind, options=kinds)),
        form_row("Instance", dbc.Input(id=IDS.form_instance, placeholder="e.g. main-store")),
        form_row(
            "Base URL",
            dbc.Input(
                id=IDS.form_base_url, placeholder="https://… (file sources: the drop directory)"
            ),
        ),
        form_row(
            "Credential variable",
            dbc.Input(id=IDS.form_secret_env, placeholder="e.g. SHOPIFY_TOKEN"),
            "The NAME of the environment variable holding the credential, never the secret.",
        ),
        form_row(
            "Webhook secret variable",
            dbc.Input(id=IDS.form_webhook_env, placeholder="e.g. SHOPIFY_WEBHOOK_SECRET"),
        ),
        form_row("Poll every (seconds)", dbc.Input(id=IDS.form_interval, type="number", step=1)),
        form_row("Polling", dbc.Switch(id=IDS.form_enabled, label="enabled", value=True)),
        html.Div(id=IDS.form_message),
    ]
    footer = [
        dbc.Button("Cancel", id=IDS.form_cancel, color="secondary", outline=True),
        dbc.Button("Save", id=IDS.form_save, color="primary"),
    ]
    return html.Div(
        [
            dcc.Store(id=IDS.form_mode, data={"edit": None}),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(id=IDS.form_title)),
                    dbc.ModalBody(form_rows),
                    dbc.ModalFooter(footer),
                ],
                id=IDS.form,
                is_open=False,
                size="lg",
            ),
        ]
    )


def _actions(options: list[dict]) -> dbc.Row:
    upload = []
    if page_for_path(UPLOAD_PATH) is not None:  # the upload page, where it is installed
        upload = [dbc.Col(dbc.Button("Upload a file", href=UPLOAD_PATH, outline=True), md="auto")]
    return dbc.Row(
        [
            dbc.Col(dbc.Select(id=IDS.target, options=options, placeholder="Source"), md=3),
            dbc.Col(
                dbc.ButtonGroup(
                    [
                        dbc.Button("Sync now", id=IDS.sync, color="primary"),
                        dbc.Button("Edit", id=IDS.edit, color="secondary", outline=True),
                        dbc.Button("Enable", id=IDS.enable, color="success", outline=True),
                        dbc.Button("Disable", id=IDS.disable, color="danger", outline=True),
                    ]
                ),
                md="auto",
            ),
            dbc.Col(
                dbc.Button("Add a source", id=IDS.new, color="primary", outline=True), md="auto"
            ),
            *upload,
        ],
        className="mt-3 g-2",
    )


def layout(**_query) -> html.Div:
    statuses, as_of, options = _view()
    return html.Div(
        [
            *page_heading("Sources", as_of, id=IDS.as_of),
            dcc.Interval(id=IDS.refresh, interval=REFRESH_MS),
            dcc.Store(id=IDS.changed),
            dcc.Store(id=IDS.acted),
            html.Div(id=IDS.message),
            html.Div(id=IDS.working, className="small text-secondary"),
            plain_grid(IDS.grid, statuses, COLUMNS, dashGridOptions={"tooltipShowDelay": 300}),
            _actions(options),
            _form_modal(),
            html.P(
                "The ingest worker (`channelperf worker ingest`) polls each enabled source on its "
                "interval and runs webhook pushes. Credentials stay in environment variables: a "
                "source stores only their names.",
                className="small text-secondary mt-3",
            ),
        ]
    )


# --- callbacks ----------------------------------------------------------------------------


def _synced(name: str, job: JobRef) -> str:
    """What a requested sync did: its counts, or where it waits (and whether a worker will
    take it)."""
    if not job.queued:
        counts = sync_counts(job.result)
        return f"Sync of {name} done: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + "."
    where = f"Sync of {name} queued (job {job.id}): the Queued column shows it until it runs."
    if not has_worker(source_queue(name)):
        where += " No ingest worker listens on its queue: start `channelperf worker ingest`."
    return where


def _act(trigger: str, target: str | None) -> str:
    """Sync, enable or disable the chosen source; the message to show."""
    if not target:
        raise CommandError("choose a source first")
    actor = current_actor()
    if trigger == IDS.sync:
        return _synced(target, request_sync(target, actor))
    source = set_source_enabled(target, trigger == IDS.enable, actor=actor)
    return f"{source.name} {'enabled' if source.enabled else 'disabled'}."


ACTIONS = (IDS.sync, IDS.enable, IDS.disable)


@callback(
    Output(IDS.acted, "data"),
    *clicks(*ACTIONS),
    *fields(IDS.target),
    prevent_initial_call=True,
    running=[
        *((Output(button, "disabled"), True, False) for button in ACTIONS),
        (Output(IDS.working, "children"), "Working… a sync reads every new page first.", ""),
    ],
)
def act(_sync, _enable, _disable, target):
    """The buttons' command, in a callback of its own: the page's refresh every
    ``REFRESH_MS`` cannot replace a sync that takes longer."""
    try:
        return {"text": _act(ctx.triggered_id, target), "ok": True}
    except CommandError as exc:
        return {"text": str(exc), "ok": False}
    except Exception as exc:  # noqa: BLE001 — a failed sync is shown, not raised
        return {"text": f"Sync of {target} failed: {exc}", "ok": False}


@callback(
    *rows(IDS.grid),
    *contents(IDS.as_of),
    *choices(IDS.target),
    *contents(IDS.message),
    Input(IDS.refresh, "n_intervals"),
    Input(IDS.changed, "data"),
    Input(IDS.acted, "data"),
    prevent_initial_call=True,
)
def refresh(_ticks, changed, acted):
    told = {IDS.changed: changed, IDS.acted: acted}.get(ctx.triggered_id)
    message = status_alert(told["text"], told["ok"]) if told else no_update
    statuses, as_of, options = _view()
    return statuses, as_of, options, message


def _opened(target: str | None) -> tuple:
    """The form on opening it: title, mode, whether the name is fixed, and the field values
    (empty to add, the chosen source's settings to edit)."""
    if target is None:
        values = (None, None, None, None, None, None, DEFAULT_INTERVAL, True)
        return "Add a source", {"edit": None}, False, *values
    s = find_source(target)
    values = (s.name, s.kind, s.instance, s.base_url, s.secret_env, s.webhook_secret_env)
    return f"Edit {s.name}", {"edit": s.name}, True, *values, s.poll_interval_seconds, s.enabled


def _interval(value) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CommandError("give the poll interval as a whole number of seconds") from None
    if not number.is_integer():
        raise CommandError("the poll interval must be a whole number of seconds")
    return int(number)


def _save(mode: dict, values: tuple) -> str:
    name, kind, instance, base_url, secret_env, webhook_env, interval, enabled = values
    settings = {
        "kind": kind,
        "instance": instance or "",
        "base_url": base_url or "",
        "secret_env": secret_env,
        "webhook_secret_env": webhook_env,
        "poll_interval_seconds": _interval(interval),
        "enabled": bool(enabled),
    }
    if not kind:
        raise CommandError("choose the source's kind")
    actor = current_actor()
    if mode and mode.get("edit"):
        source = edit_source(mode["edit"], settings, actor=actor)
        return f"Saved {source.name}."
    source = add_source(name or "", actor=actor, **settings)
    return f"Added source {source.name} ({source.kind}, every {source.poll_interval_seconds} s)."


@callback(
    Output(IDS.form, "is_open"),
    Output(IDS.form_title, "children"),
    Output(IDS.form_mode, "data"),
    Output(IDS.form_name, "disabled"),
    *(Output(field, "value") for field in FORM_FIELDS),
    Output(IDS.form_message, "children"),
    Output(IDS.changed, "data"),
    *clicks(IDS.new, IDS.edit, IDS.form_save, IDS.form_cancel),
    *fields(IDS.target),
    State(IDS.form_mode, "data"),
    *fields(*FORM_FIELDS),
    prevent_initial_call=True,
)
def source_form(_new, _edit, _save_clicks, _cancel, target, mode, *values):
    trigger = ctx.triggered_id
    unchanged = (no_update,) * (3 + len(FORM_FIELDS))
    if trigger == IDS.form_cancel:
        return False, *unchanged, None, no_update
    if trigger == IDS.edit and not target:
        return False, *unchanged, None, {"text": "Choose a source to edit first.", "ok": False}
    if trigger in (IDS.new, IDS.edit):
        return True, *_opened(target if trigger == IDS.edit else None), None, no_update
    try:
        done = _save(mode, values)
    except CommandError as exc:
        return True, *unchanged, status_alert(str(exc), ok=False), no_update
    return False, *unchanged, None, {"text": done, "ok": True}
