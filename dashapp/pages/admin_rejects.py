"""Admin › Quarantine (admins only): rejected payloads with their reasons, which of them a
replay can load, and how many there are beyond the newest shown; replay or discard."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import html

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.confirm import confirmation_ids
from dashapp.components.confirm import confirmation_modal
from dashapp.components.confirm import register_confirmation
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import chosen_rows
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import text_values
from dashapp.components.ids import texts
from dashapp.components.status import outcome
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.errors import CommandError
from db.ingestion_tables import REJECT_STATUSES
from ingestion.quarantine import count_rejects
from ingestion.quarantine import discard
from ingestion.quarantine import get_reject
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay

PREFIX = "admin-rejects"
register_page(__name__, path="/admin/rejects", title="Quarantine", prefix=PREFIX, order=98, **ADMIN)

IDS = page_ids(PREFIX, "grid status shown detail reason replay discard message")
DISCARD = confirmation_ids(IDS.discard)
ALL = "all"
SHOWN = 200  # rejects the grid lists, newest first

COLUMNS = [
    column("id", "Id", maxWidth=90, checkboxSelection=True),
    column("received", "Received (UTC)", maxWidth=170),
    column("seen", "Last seen (UTC)", maxWidth=170),
    column("source", "Source"),
    column("record", "Record"),
    column("error", "Reason", flex=3, tooltipField="error"),
    column("replayable", "Replay", maxWidth=110, tooltipField="replay_note"),
    column("size", "Bytes", maxWidth=120),
    column("status", "Status", maxWidth=130),
]
REPLAY_NOTES = {
    True: "A replay loads it again (mapped again, or as it was mapped).",
    False: "Cannot be replayed: the record itself is wrong. Correct it at the source (a file: "
    "the row, then upload the file again).",
}


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _replay(info) -> dict:
    """Whether a replay can load a quarantined reject, and why (nothing for the others)."""
    if info.status != "quarantined":
        return {"replayable": "", "replay_note": ""}
    answer = "yes" if info.replayable else "no"
    return {"replayable": answer, "replay_note": REPLAY_NOTES[info.replayable]}


def _listed(status: str | None) -> tuple[list[dict], str]:
    """The grid's rows (the newest ``SHOWN``) and how many of how many they are."""
    status = None if status in (None, ALL) else status
    listed = list_rejects(status, limit=SHOWN)
    total = count_rejects(status)
    rows = [
        {
            "id": r.id,
            "received": _time(r.received_at),
            "seen": _time(r.last_seen_at),
            "source": r.source_name or f"{r.source_system}/{r.source_instance}",
            "record": r.record_id or "",
            "error": r.error,
            **_replay(r),
            "size": r.size,
            "status": r.status,
        }
        for r in listed
    ]
    if total > len(listed):
        return rows, f"Showing the newest {len(listed):,} of {total:,} rejects."
    return rows, f"{total:,} reject(s)."


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
                    f"record {info.record_id or '—'} · {info.size:,} bytes · last seen "
                    f"{_time(info.last_seen_at) or '—'}",
                    className="small text-secondary mb-1",
                ),
                html.P(_replay(info)["replay_note"], className="small mb-1"),
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
    listed, shown = _listed("quarantined")
    return html.Div(
        [
            *page_heading(
                "Quarantine",
                "Payloads that could not be mapped, validated or loaded, with the reason. Replay "
                "loads them again: an API's payloads mapped with the current code and channel "
                "rules, a file row refused for a missing exchange rate or reference row as it "
                "was mapped. A row wrong in the file itself cannot be replayed: correct the "
                "file and upload it again, which resolves it. Nothing is deleted.",
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
            html.P(shown, id=IDS.shown, className="small text-secondary mb-1"),
            plain_grid(
                IDS.grid,
                listed,
                COLUMNS,
                dashGridOptions={"rowSelection": "multiple", "tooltipShowDelay": 300},
                getRowId="params.data.id",
            ),
            html.Div(_detail(None), id=IDS.detail, className="mt-3"),
            confirmation_modal(DISCARD, "Discard rejects"),
        ]
    )


def _discard_question(selected: list[dict] | None, reason: str | None) -> str:
    if not selected:
        return "No reject is selected: tick the rejects to discard in the grid first."
    count = len(selected)
    why = f" as “{reason.strip()}”" if reason and reason.strip() else ""
    return (
        f"Discard {count:,} selected reject{'s' if count != 1 else ''}{why}? A discarded "
        "reject is kept (status Discarded) but can never be replayed; the discard and its "
        "reason go to the audit log."
    )


register_confirmation(DISCARD, _discard_question, chosen_rows(IDS.grid, State), *texts(IDS.reason))


def _act(trigger: str, ids: list[int], reason: str | None) -> str:
    """Replay or (confirmed) discard the chosen rejects as the signed-in user; what was done."""
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
    *contents(IDS.shown),
    *text_values(IDS.status),
    *clicks(IDS.replay, DISCARD.confirm),
    chosen_rows(IDS.grid, State),
    *texts(IDS.reason),
    prevent_initial_call=True,
)
def act(status, _replay, _discard, selected, reason):
    message = None
    if ctx.triggered_id in (IDS.replay, DISCARD.confirm):
        ids = [int(row["id"]) for row in selected or []]
        message = outcome(lambda: _act(ctx.triggered_id, ids, reason), (CommandError,))
    try:
        listed, shown = _listed(status)
    except CommandError as exc:  # a status no option offers
        return status_alert(str(exc), ok=False), [], None
    return message, listed, shown


@callback(Output(IDS.detail, "children"), chosen_rows(IDS.grid), prevent_initial_call=True)
def show(selected):
    return _detail(selected)
