"""Admin › Quarantine (admins only): rejected payloads with their reasons; replay or discard."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import html

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import chosen_rows
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import text_values
from dashapp.components.status import outcome
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.errors import CommandError
from db.ingestion_tables import REJECT_STATUSES
from ingestion.quarantine import discard
from ingestion.quarantine import get_reject
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay

PREFIX = "admin-rejects"
register_page(__name__, path="/admin/rejects", title="Quarantine", prefix=PREFIX, order=96, **ADMIN)

IDS = page_ids(PREFIX, "grid status detail reason replay discard message")
ALL = "all"

COLUMNS = [
    column("id", "Id", maxWidth=90, checkboxSelection=True),
    column("received", "Received (UTC)", maxWidth=170),
    column("source", "Source"),
    column("record", "Record"),
    column("error", "Reason", flex=3, tooltipField="error"),
    column("size", "Bytes", maxWidth=120),
    column("status", "Status", maxWidth=130),
]


def _rows(status: str | None) -> list[dict]:
    return [
        {
            "id": r.id,
            "received": r.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            "source": r.source_name or f"{r.source_system}/{r.source_instance}",
            "record": r.record_id or "",
            "error": r.error,
            "size": r.size,
            "status": r.status,
        }
        for r in list_rejects(None if status in (None, ALL) else status)
    ]


def _detail(selected: list[dict] | None) -> html.Div:
    if not selected:
        return html.P("Select a reject to see its payload.", className="text-secondary small")
    try:
        detail = get_reject(int(selected[0]["id"]))
    except CommandError as exc:  # discarded or replayed away since the grid was drawn
        return html.P(str(exc), className="text-secondary small")
    info = detail.info
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3(f"Reject {info.id} · {info.status}", className="h6"),
                html.P(
                    f"{info.source_system}/{info.source_instance} · stream {info.stream} · "
                    f"record {info.record_id or '—'} · {info.size:,} bytes",
                    className="small text-secondary mb-1",
                ),
                dbc.Alert(info.error, color="warning", className="py-2 small"),
                html.Pre(
                    detail.preview,
                    className="small bg-light p-2 border",
                    style={"maxHeight": "320px", "overflow": "auto", "whiteSpace": "pre-wrap"},
                ),
            ]
        )
    )


def layout(**_query) -> html.Div:
    options = [{"label": s.capitalize(), "value": s} for s in REJECT_STATUSES]
    return html.Div(
        [
            *page_heading(
                "Quarantine",
                "Payloads that could not be mapped or validated, with the reason. Replay maps "
                "them again with the current code and channel rules; nothing is deleted.",
            ),
            html.Div(id=IDS.message),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=IDS.status,
                            options=[*options, {"label": "All", "value": ALL}],
                            value="quarantined",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Input(id=IDS.reason, placeholder="Why discard (for the audit log)"),
                        md=5,
                    ),
                    dbc.Col(
                        dbc.ButtonGroup(
                            [
                                dbc.Button("Replay selected", id=IDS.replay, color="primary"),
                                dbc.Button(
                                    "Discard selected", id=IDS.discard, color="danger", outline=True
                                ),
                            ]
                        ),
                        md="auto",
                    ),
                ],
                className="mb-3 g-2",
            ),
            plain_grid(
                IDS.grid,
                _rows("quarantined"),
                COLUMNS,
                dashGridOptions={"rowSelection": "multiple", "tooltipShowDelay": 300},
                getRowId="params.data.id",
            ),
            html.Div(_detail(None), id=IDS.detail, className="mt-3"),
        ]
    )


def _act(trigger: str, ids: list[int], reason: str | None) -> str:
    """Replay or discard the chosen rejects as the signed-in user; what was done."""
    actor = current_actor()
    if trigger == IDS.replay:
        result = replay(ids, actor=actor)
        return (
            f"Replayed {result.read:,}: {result.inserted:,} new, {result.updated:,} "
            f"updated, {result.unchanged:,} unchanged, {result.rejected:,} still failing."
        )
    return f"Discarded {discard(ids, reason or '', actor=actor)} reject(s)."


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    *text_values(IDS.status),
    *clicks(IDS.replay, IDS.discard),
    chosen_rows(IDS.grid, State),
    State(IDS.reason, "value"),
    prevent_initial_call=True,
)
def act(status, _replay, _discard, selected, reason):
    message = None
    if ctx.triggered_id in (IDS.replay, IDS.discard):
        ids = [int(row["id"]) for row in selected or []]
        message = outcome(lambda: _act(ctx.triggered_id, ids, reason), (CommandError,))
    try:
        listed = _rows(status)
    except CommandError as exc:  # a status no option offers
        return status_alert(str(exc), ok=False), []
    return message, listed


@callback(Output(IDS.detail, "children"), chosen_rows(IDS.grid), prevent_initial_call=True)
def show(selected):
    return _detail(selected)
