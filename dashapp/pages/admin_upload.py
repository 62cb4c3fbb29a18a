"""Admin › Upload data (admins only): a file with a saved or pasted mapping, its dry run
(the first mapped rows and every reject with its reason), then the load as a job whose
progress the page polls."""

from __future__ import annotations

import base64
import binascii

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.callback_values import declare_store
from dashapp.callback_values import job_id
from dashapp.components.forms import form_row
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import choices
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import text_values
from dashapp.components.ids import texts
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.errors import CommandError
from db.jobs import job_status
from ingestion.errors import IngestionError
from ingestion.file_preview import preview_data
from ingestion.mapping_suggest import KINDS
from ingestion.mapping_suggest import suggest_mapping
from ingestion.saved_mappings import checked_mapping
from ingestion.saved_mappings import get_mapping
from ingestion.saved_mappings import list_mappings
from ingestion.saved_mappings import save_mapping
from ingestion.uploads import UPLOAD_QUEUE
from ingestion.uploads import request_upload
from ingestion.uploads import with_source

PREFIX = "admin-upload"
register_page(
    __name__, path="/admin/sources/upload", title="Upload data", prefix=PREFIX, order=96, **ADMIN
)

IDS = page_ids(
    PREFIX,
    "file file_name saved kind draft draft_message yaml save_as save source dry_run load message "
    "summary rows rejects status poll job",
)
declare_store(IDS.job, job_id)
# Dash sends the file base64-encoded (4/3 of its size) inside the callback's JSON, and the
# app refuses requests over 64 MB (MAX_CONTENT_LENGTH): files up to 45 MB fit.
MAX_FILE_BYTES = 45 * 2**20
REJECT_COLUMNS = [
    column("line", "Line", maxWidth=100),
    column("reason", "Reason", flex=4, wrapText=True, autoHeight=True),
]
# What a dry run and a load read: the file, its mapping and the source's name.
UPLOAD = (State(IDS.file, "contents"), *texts(IDS.yaml, IDS.source))
GRID_COLUMNS = {"sortable": True, "resizable": True, "flex": 1, "minWidth": 110}


def _options() -> list[dict]:
    return [
        {"label": f"{m.name} ({m.kind})", "value": m.name} for m in list_mappings(current_actor())
    ]


def _field(label: str, control, hint: str | None = None) -> dbc.Row:
    return form_row(label, control, hint, widths=(3, 9))


def _grid(grid_id: str, columns: list[dict]) -> dag.AgGrid:
    return plain_grid(grid_id, [], columns, GRID_COLUMNS)


def _form() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Upload(
                    id=IDS.file,
                    children=html.Div(
                        ["Drop a CSV or JSON-lines file here, or ", html.A("choose")]
                    ),
                    max_size=MAX_FILE_BYTES,
                    className="border border-2 rounded p-4 text-center mb-2",
                    style={"borderStyle": "dashed"},
                ),
                html.P("No file chosen (45 MB at most).", id=IDS.file_name, className="small"),
                _field(
                    "Saved mapping", dbc.Select(id=IDS.saved, options=_options(), placeholder="—")
                ),
                _field(
                    "Draft a mapping",
                    dbc.InputGroup(
                        [
                            dbc.Select(
                                id=IDS.kind,
                                options=[{"label": k, "value": k} for k in KINDS],
                                value="orders",
                            ),
                            dbc.Button("Draft from the file", id=IDS.draft, color="secondary"),
                        ]
                    ),
                    "Reads the file's header and values and guesses each field: check the draft "
                    "(its comments name what it did not find) before the dry run.",
                ),
                html.Div(id=IDS.draft_message),
                _field(
                    "Mapping (YAML)",
                    dbc.Textarea(id=IDS.yaml, rows=14, className="font-monospace small"),
                ),
                _field(
                    "Save mapping as",
                    dbc.InputGroup(
                        [
                            dbc.Input(id=IDS.save_as, placeholder="e.g. bookings"),
                            dbc.Button("Save mapping", id=IDS.save, color="secondary"),
                        ]
                    ),
                ),
                _field(
                    "Source name",
                    dbc.Input(id=IDS.source, placeholder="e.g. hotel-bookings"),
                    "Names the load (and the records' source system where the mapping "
                    "names none): channel rules can match on it.",
                ),
                dbc.Button("Dry run", id=IDS.dry_run, color="primary", className="me-2"),
                dbc.Button("Load", id=IDS.load, color="success"),
            ]
        )
    )


def layout(**_query) -> html.Div:
    return html.Div(
        [
            *page_heading(
                "Upload data",
                "Load an export through a mapping: check the dry run's rows and rejects, then "
                "load it. Rejected rows go to the quarantine with their reason.",
            ),
            html.Div(id=IDS.message),
            _form(),
            html.Div(id=IDS.status, className="mt-3"),
            html.Div(id=IDS.summary, className="mt-3"),
            html.H3("First mapped rows", className="h6 mt-3"),
            _grid(IDS.rows, []),
            html.H3("Rejected rows", className="h6 mt-3"),
            _grid(IDS.rejects, REJECT_COLUMNS),
            dcc.Store(id=IDS.job),
            dcc.Interval(id=IDS.poll, interval=1000, disabled=True),
        ]
    )


def _decoded(contents: str | None) -> bytes:
    if not contents:
        raise CommandError("choose a file first")
    try:
        return base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise CommandError("the file did not arrive whole: choose it again") from None


@callback(Output(IDS.file_name, "children"), Input(IDS.file, "filename"), prevent_initial_call=True)
def show_file(name):
    return f"File: {name}" if name else "No file chosen."


@callback(
    Output(IDS.yaml, "value"),
    *contents(IDS.draft_message),
    *text_values(IDS.saved),
    *clicks(IDS.draft),
    State(IDS.file, "contents"),
    *texts(IDS.kind, IDS.source),
    prevent_initial_call=True,
)
def fill_mapping(name, _clicks, contents, kind, source):
    """The mapping box gets a saved mapping when one is picked, or a draft of the file."""
    if ctx.triggered_id == IDS.draft:
        try:
            current_actor().require("admin", "draft mappings")
            source = (source or "").strip().lower() or "my-export"
            return suggest_mapping(_decoded(contents), kind or "", source), None
        except (CommandError, IngestionError) as exc:
            return no_update, status_alert(f"No draft: {exc}", ok=False)
    if not name:
        return no_update, None
    try:
        return get_mapping(name, current_actor()).yaml_text, None
    except CommandError:  # deleted since the page listed it
        return no_update, None


@callback(
    *contents(IDS.message),
    *choices(IDS.saved),
    *clicks(IDS.save),
    *texts(IDS.save_as, IDS.yaml),
    prevent_initial_call=True,
)
def save(_clicks, name, text):
    try:
        info = save_mapping(name or "", text or "", current_actor())
    except CommandError as exc:
        return status_alert(str(exc), ok=False), no_update
    return status_alert(f"Saved {info.kind} mapping “{info.name}”."), _options()


@callback(
    *contents(IDS.summary),
    *rows(IDS.rows),
    Output(IDS.rows, "columnDefs"),
    *rows(IDS.rejects),
    *clicks(IDS.dry_run),
    *UPLOAD,
    prevent_initial_call=True,
)
def dry_run(_clicks, contents, text, source):
    try:
        current_actor().require("admin", "load files")
        mapping = with_source(checked_mapping(text or ""), (source or "").strip().lower() or "file")
        preview = preview_data(_decoded(contents), mapping)
    except (CommandError, IngestionError) as exc:
        return status_alert(str(exc), ok=False), [], [], []
    summary = dbc.Alert(
        f"Dry run: {preview.mapped:,} {preview.kind} record(s) mapped, "
        f"{len(preview.rejects):,} row(s) rejected. Nothing was written.",
        color="warning" if preview.rejects else "info",
        id=f"{PREFIX}-dry-run-result",
    )
    columns = [{"field": name, "headerName": name} for name in (preview.rows or [{}])[0]]
    rejects = [{"line": r.row, "reason": r.reason} for r in preview.rejects]
    return summary, preview.rows, columns, rejects


def _counts(result: dict) -> str:
    return (
        f"Loaded: read {result['read']:,}, {result['inserted']:,} new, {result['updated']:,} "
        f"updated, {result['unchanged']:,} unchanged, {result['rejected']:,} rejected."
    )


@callback(
    *contents(IDS.status),
    Output(IDS.job, "data"),
    Output(IDS.poll, "disabled"),
    *clicks(IDS.load),
    Input(IDS.poll, "n_intervals"),
    *UPLOAD,
    State(IDS.file, "filename"),
    State(IDS.job, "data"),
    prevent_initial_call=True,
)
def load(_clicks, _ticks, contents, text, source, name, job_id):
    """Load starts the job (or, without Redis, runs it); each tick then shows where it is."""
    if ctx.triggered_id == IDS.poll:
        return _progress(job_id)
    try:
        data = _decoded(contents)
        job = request_upload(data, text or "", source or "", name or "upload", current_actor())
    except CommandError as exc:
        return status_alert(str(exc), ok=False), None, True
    if not job.queued:
        return status_alert(_counts(job.result)), None, True
    return dbc.Alert("Queued: waiting for a worker…", color="info"), job.id, False


def _progress(job_id: str | None):
    try:
        current_actor().require("admin", "load files")
    except CommandError as exc:
        return status_alert(str(exc), ok=False), None, True
    if not job_id:
        return no_update, None, True
    status = job_status(job_id, UPLOAD_QUEUE)
    if status.state == "finished":
        return status_alert(_counts(status.result)), None, True
    if status.state in ("failed", "stopped", "canceled", "unknown"):
        return (
            status_alert(f"The load failed: {status.error or status.state}", ok=False),
            None,
            True,
        )
    stage = status.stage or ("waiting for a worker" if status.state == "queued" else "starting")
    spinner = dbc.Spinner(size="sm", spinner_class_name="me-2")
    return dbc.Alert([spinner, f"Loading: {stage}…"], color="info"), job_id, False
