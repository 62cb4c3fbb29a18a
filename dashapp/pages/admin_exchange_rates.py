"""Admin › Exchange rates (admins only): the rates stored per currency, the currencies the
orders and the quarantine still need rates of, and a rates CSV to load (as ``channelperf
reference load-fx`` does, through the same audited command), saying how many quarantined
rejects then wait for a replay.

The guard refuses every callback of this page for other roles (ids start with
``admin-rates-``); the command checks the role again before writing anything.
"""

from __future__ import annotations

import base64
import binascii

import dash_bootstrap_components as dbc
from dash import Input
from dash import State
from dash import callback
from dash import dcc
from dash import html
from dash import no_update

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.forms import form_card
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.grid import register_csv_export
from dashapp.components.heading import page_heading
from dashapp.components.ids import contents
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.roles import PermissionDenied
from db.settings import get_settings
from ingestion.enrich import MAX_RATE_AGE
from ingestion.errors import IngestionError
from ingestion.rate_coverage import currency_rates
from ingestion.rate_coverage import rate_gaps
from ingestion.rate_coverage import waiting_for_replay
from ingestion.reference_files import describe_rates
from ingestion.reference_files import load_rates_file

PREFIX = "admin-rates"
register_page(
    __name__, path="/admin/exchange-rates", title="Exchange rates", prefix=PREFIX, order=97, **ADMIN
)

IDS = page_ids(PREFIX, "upload inverse message gaps grid")
QUARANTINE_PATH = "/admin/rejects"
MAX_FILE_BYTES = 20 * 2**20  # the ECB's whole history is under 2 MB
PRE_LINE = {"whiteSpace": "pre-line"}  # a refused file lists its wrong rows one per line


def _csv_help(base: str) -> str:
    return (
        f"CSV with a header: day,currency,rate (units of {base} per unit of the currency), or "
        "one row per day and one column per currency (Date,USD,JPY,… as the ECB publishes "
        "them; N/A or empty for no rate). Days as YYYY-MM-DD. A stored rate of the same day "
        "and currency is replaced. The whole file is checked first: if any row is wrong "
        "nothing is written. The same as channelperf reference load-fx."
    )


def _grid_rows() -> list[dict]:
    return records(currency_rates())


def _waiting(count: int, where: str = "") -> list:
    """How many quarantined rejects (``where``: of which currencies) wait for a replay, with
    the link to the quarantine."""
    if not count:
        return [f"No quarantined reject{where} was waiting for a rate."]
    one = count == 1
    return [
        f"{count:,} quarantined reject{'' if one else 's'}{where} now "
        f"{'has' if one else 'have'} a rate and wait{'s' if one else ''} for a replay: ",
        dcc.Link("Admin › Quarantine", href=QUARANTINE_PATH),
        ".",
    ]


def _gaps() -> list:
    """The currencies still needing rates (or a line saying none does), and the rejects a
    replay can now load."""
    gaps = rate_gaps()
    if gaps:
        needed = "; ".join(f"{gap.currency}: {gap.why}" for gap in gaps)
        shown = [dbc.Alert(f"Rates needed — {needed}.", color="warning", className="small py-2")]
    else:
        shown = [
            html.P(
                "Every currency of the latest orders and of the quarantined rejects has a rate.",
                className="small text-secondary mb-2",
            )
        ]
    waiting = waiting_for_replay()
    if waiting:
        shown.append(html.P(_waiting(waiting), className="small"))
    return shown


def layout(**_query) -> html.Div:
    base = get_settings().base_currency
    return html.Div(
        [
            *page_heading(
                "Exchange rates",
                f"Rates convert orders and ad spend in other currencies into {base}. An order "
                f"takes the latest rate on or before its day, at most {MAX_RATE_AGE.days} days "
                "old; without one it is quarantined until a rate is loaded and it is replayed.",
            ),
            html.Div(id=IDS.message),
            html.Div(_gaps(), id=IDS.gaps),
            dbc.Row(
                form_card(
                    "Load rates from CSV",
                    [
                        dcc.Upload(
                            id=IDS.upload,
                            children=html.Div(["Drop a CSV file here or ", html.A("choose one")]),
                            accept=".csv,text/csv",
                            multiple=False,
                            max_size=MAX_FILE_BYTES,
                            className="border border-2 rounded p-4 text-center text-secondary",
                            style={"borderStyle": "dashed"},
                        ),
                        dbc.Checkbox(
                            id=IDS.inverse,
                            label=f"Rates are quoted the other way: units of the currency per "
                            f"{base} (as the ECB quotes them against EUR)",
                            value=False,
                            className="mt-2 small",
                        ),
                        html.P(_csv_help(base), className="small text-secondary mt-2 mb-0"),
                    ],
                    lg=8,
                ),
                className="g-3 mb-3",
            ),
            data_grid(
                IDS.grid,
                [
                    column("currency", "Currency", maxWidth=130),
                    column("first_day", "First day"),
                    column("last_day", "Last day"),
                    column("latest_rate", f"Latest rate ({base} per unit)", "rate"),
                    column("days", "Days with a rate", "number"),
                    column("latest_source", "Latest loaded from"),
                ],
                "exchange-rates.csv",
                title="Rates by currency",
                row_data=_grid_rows(),
                getRowId="params.data.currency",
            ),
        ]
    )


register_csv_export(IDS.grid)


def _file_bytes(upload: str) -> bytes:
    """The bytes of an upload's ``data:…;base64,…`` contents."""
    try:
        return base64.b64decode(upload.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise IngestionError("the file did not arrive whole: choose it again") from None


def _loaded(upload: str, filename: str, inverse: bool) -> list:
    """Load the file as the signed-in user; what was loaded and what now waits for a replay."""
    rates = load_rates_file(filename, current_actor(), inverse, data=_file_bytes(upload))
    waiting = waiting_for_replay(rates["currency"].unique())
    return [f"Loaded {describe_rates(rates)}. ", *_waiting(waiting, " in these currencies")]


@callback(
    *contents(IDS.message, IDS.gaps),
    *rows(IDS.grid),
    Input(IDS.upload, "contents"),
    State(IDS.upload, "filename"),
    *fields(IDS.inverse),
    prevent_initial_call=True,
)
def load_rates(upload, filename, inverse):
    if not upload:
        return no_update, no_update, no_update
    name = filename or "rates.csv"
    try:
        done = _loaded(upload, name, bool(inverse))
    except (IngestionError, PermissionDenied) as exc:
        refusal = status_alert(
            f"Nothing was loaded. {exc}", ok=False, id=f"{PREFIX}-alert", style=PRE_LINE
        )
        return refusal, no_update, no_update
    return status_alert(done, id=f"{PREFIX}-alert"), _gaps(), _grid_rows()
