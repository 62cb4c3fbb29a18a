"""Admin › Targets: admins import a CSV (a bad one is refused, line named) and delete targets
(audited with their values); others cannot. The page in a browser:
``tests/browser/test_admin_targets.py``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analytics.errors import AnalyticsError
from analytics.targets import delete_targets
from analytics.targets import import_target_csv
from analytics.targets import list_targets
from dashapp.app import create_app
from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from db.target_tables import Target
from db.users import ensure_demo_users
from tests.pages.target_csvs import BAD
from tests.pages.target_csvs import GOOD
from tests.pages.target_csvs import row_count
from tests.signin import post_callback
from tests.signin import sign_in_client

pytestmark = pytest.mark.postgres


def test_csv_import_is_all_or_nothing_with_the_row_named(pg_url):
    before = row_count(Target)
    with pytest.raises(AnalyticsError, match=r"line 3: scope_code: unknown category 'nowhere'"):
        import_target_csv(BAD.encode(), actor=system("tests"))
    with pytest.raises(AnalyticsError, match=r"line 2: value: 'lots' is not a number"):
        import_target_csv(GOOD.replace("150000", "lots").encode(), actor=system("tests"))
    with pytest.raises(AnalyticsError, match="lacks column"):
        import_target_csv(b"scope,metric\nx,y\n", actor=system("tests"))
    assert row_count(Target) == before
    assert import_target_csv(GOOD.encode(), actor=system("tests")) == 3
    targets = list_targets()
    row = targets[(targets["scope_code"] == "ecommerce") & (targets["metric"] == "revenue")]
    assert row["value"].tolist() == [150000.0]


def test_deleting_targets_removes_only_them_and_audits_their_values(pg_url):
    import_target_csv(GOOD.encode(), actor=system("tests"))
    targets = list_targets()
    chosen = targets[targets["metric"] != "revenue"]
    audits = row_count(AuditLog)
    assert delete_targets(chosen["id"].tolist(), actor=system("tests")) == 2
    left = list_targets()
    assert left[["scope_code", "metric", "value"]].values.tolist() == [
        ["ecommerce", "revenue", 150000.0]
    ]
    with get_engine().connect() as conn:
        entry = conn.execute(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert entry.action == "target.delete" and entry.actor == "tests"
    assert sorted((row["metric"], float(row["value"])) for row in entry.before) == [
        ("conversion_rate", 0.25),
        ("margin_pct", 0.4),
    ]
    assert row_count(AuditLog) == audits + 1
    # Ids already gone (another admin was first) or none at all: nothing changes.
    remaining = int(left["id"].iloc[0])
    with pytest.raises(AnalyticsError, match="no longer exist"):
        delete_targets([remaining, *chosen["id"].tolist()], actor=system("tests"))
    with pytest.raises(AnalyticsError, match="select the targets"):
        delete_targets([], actor=system("tests"))
    assert row_count(Target) == 1 and row_count(AuditLog) == audits + 1


def _callback_payload() -> dict:
    return {
        "output": "..admin-targets-message.children...admin-targets-grid.rowData..",
        "outputs": [
            {"id": "admin-targets-message", "property": "children"},
            {"id": "admin-targets-grid", "property": "rowData"},
        ],
        "inputs": [
            {"id": "admin-targets-save", "property": "n_clicks", "value": 1},
            {"id": "admin-targets-upload", "property": "contents", "value": None},
            {"id": "admin-targets-delete-confirm", "property": "n_clicks", "value": None},
        ],
        "state": [
            {"id": "admin-targets-upload", "property": "filename", "value": None},
            {"id": "admin-targets-scope", "property": "value", "value": "total:total"},
            {"id": "admin-targets-metric", "property": "value", "value": "revenue"},
            {"id": "admin-targets-dates", "property": "start_date", "value": "2026-07-01"},
            {"id": "admin-targets-dates", "property": "end_date", "value": "2026-09-30"},
            {"id": "admin-targets-value", "property": "value", "value": "1"},
            {"id": "admin-targets-grid", "property": "selectedRows", "value": None},
        ],
        "changedPropIds": ["admin-targets-save.n_clicks"],
    }


def test_an_executive_cannot_change_targets(pg_url):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    client = create_app().server.test_client()
    sign_in_client(client, "executive", logins["executive"])
    assert client.get("/admin/targets").status_code == 403
    response = post_callback(client, _callback_payload())
    assert response.status_code == 403
    assert row_count(Target) == 0
    admin = create_app().server.test_client()
    sign_in_client(admin, "admin", logins["admin"])
    response = post_callback(admin, _callback_payload())
    assert response.status_code == 200
    assert "Saved the revenue target" in response.get_data(as_text=True)
    assert row_count(Target) == 1


def test_the_form_says_what_is_wrong_in_its_own_words(pg_url):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    admin = create_app().server.test_client()
    sign_in_client(admin, "admin", logins["admin"])
    payload = _callback_payload()
    payload["state"][5]["value"] = "50.000,00"
    text = post_callback(admin, payload).get_data(as_text=True)
    assert (
        "Nothing was saved. Value: '50.000,00' is not a number (use digits with a dot for "
        "decimals, e.g. 50000.00)"
    ) in text
    assert "row 2" not in text and "ConversionSyntax" not in text
    assert row_count(Target) == 0
