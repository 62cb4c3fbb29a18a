"""Data quality, Admin › Audit and Admin › Reports: access by role and the validation badge
(the pages in a real browser: tests/browser/test_quality_pages.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.periods import Period
from dashapp.app import create_app
from dashapp.components.quality_charts import validation_history_figure
from dashapp.components.validation_badge import validation_badge
from db import audit
from db.users import demo_password
from tests.signin import post_callback
from tests.signin import sign_in_client


@pytest.mark.parametrize(
    ("before", "after", "summary"),
    [
        (
            {"hour": 7, "weekday": 0, "enabled": True, "recipients": ["ceo@x.com"]},
            {"hour": 8, "weekday": 0, "enabled": True, "recipients": ["ceo@x.com", "coo@x.com"]},
            "hour: 7 → 8 · recipients: ceo@x.com → ceo@x.com, coo@x.com",
        ),
        ({"state": "open"}, {"state": "open", "note": "checked"}, "note: — → checked"),
        ({"a": 1}, {"a": 1}, "no change"),
        (None, {"role": "planner"}, 'set {"role":"planner"}'),
        ([{"metric": "aov", "value": 120}], None, 'removed [{"metric":"aov","value":120}]'),
        ("0.1", "0.2", "0.1 → 0.2"),
        (None, None, "—"),
    ],
)
def test_audit_change_summary_names_only_what_changed(before, after, summary):
    assert audit.change_summary(before, after) == summary


def signed_in_client(username: str):
    client = create_app().server.test_client()
    response = sign_in_client(client, username, demo_password(username))
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("executive", "/data-quality", 403),
        ("planner", "/data-quality", 403),
        ("scientist", "/data-quality", 200),
        ("admin", "/data-quality", 200),
        ("scientist", "/admin/audit", 403),
        ("scientist", "/admin/reports", 403),
        ("admin", "/admin/audit", 200),
        ("admin", "/admin/reports", 200),
    ],
)
def test_pages_by_role(pages_db, username, path, status):
    assert signed_in_client(username).get(path).status_code == status


def badge_text(component) -> str:
    badge = component.children
    children = badge.children
    return "".join(children) if isinstance(children, list) else children


def test_validation_badge_warns_for_failed_days_shown(pages_db):
    create_app()  # registers the pages the badge may link to
    week = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))
    failed = validation_badge("overview", week, "data_scientist")
    assert failed.id == "overview-validation-badge"
    assert failed.children.color == "danger"
    assert "Validation failed for 1 day(s) shown (27 Jun): freshness" in badge_text(failed)
    assert failed.children.href == "/data-quality"
    # Executives may not open Data quality: the badge warns without linking there.
    for_executive = validation_badge("overview", week, "executive")
    assert badge_text(for_executive) == badge_text(failed)
    assert getattr(for_executive.children, "href", None) is None

    clean = validation_badge(
        "overview", Period(dt.date(2026, 6, 28), dt.date(2026, 6, 30)), "executive"
    )
    assert clean.children.color == "success"
    assert badge_text(clean).startswith("Validated as of ")


@pytest.mark.parametrize(("days", "daily_ticks"), [(1, True), (14, True), (60, False)])
def test_validation_history_is_ticked_in_days(days, daily_ticks):
    """A short history is ticked once a day (Plotly would tick a single day in hours); a long
    one keeps Plotly's spacing. Either way a tick reads as a date."""
    day = pd.date_range("2026-12-01", periods=days, freq="D")
    frame = pd.DataFrame({"day": day, "passed": 20, "warned": 0, "failed": 1})
    colors = {"pass": "green", "warn": "orange", "fail": "red"}
    axis = validation_history_figure(frame, colors).layout.xaxis
    assert axis.tickformat == "%d %b %Y"
    assert (axis.dtick == 86_400_000) is daily_ticks


def test_a_report_of_a_week_not_over_is_refused_on_the_page(pages_db):
    key = "..admin-reports-download.data...admin-reports-download-message.children.."
    body = {
        "output": key,
        "outputs": [
            {"id": "admin-reports-download", "property": "data"},
            {"id": "admin-reports-download-message", "property": "children"},
        ],
        "inputs": [{"id": "admin-reports-download-button", "property": "n_clicks", "value": 1}],
        "state": [{"id": "admin-reports-week", "property": "date", "value": "2199-12-30"}],
        "changedPropIds": ["admin-reports-download-button.n_clicks"],
    }
    answer = post_callback(signed_in_client("admin"), body)
    assert answer.status_code == 200
    response = answer.get_json()["response"]
    assert "admin-reports-download" not in response
    assert "is not over yet" in str(response["admin-reports-download-message"])
