"""The weekly executive report carries the decision list, in the e-mail body and the PDF."""

from __future__ import annotations

import datetime as dt

from analytics.metrics import format_value
from analytics.periods import Period
from analytics.reports.html import render_html
from analytics.reports.pdf import render_pdf
from analytics.reports.summary import build_weekly_summary
from analytics.reports.tables import decision_rows
from tests.quality.test_reports import pdf_text

WEEK = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))


def test_weekly_report_lists_the_recommended_actions(demo, monkeypatch):
    monkeypatch.setenv("CHANNELPERF_PUBLIC_URL", "https://cp.example.com")
    summary = build_weekly_summary(WEEK)
    decisions = summary.decisions.decisions
    assert decisions, summary.decisions.not_recommended
    html = render_html(summary)
    assert "Recommended actions" in html
    for decision in decisions:
        # The report's readers are executives: a budget move is named without its amount of spend.
        assert decision.title_for("executive").replace("&", "&amp;") in html
        if decision.spend_free_title is not None:
            assert decision.title.replace("&", "&amp;") not in html
        assert f"https://cp.example.com{decision.page}" in html
        assert format_value(decision.effect, "currency", summary.currency) in html
    assert "Not recommended:" in html
    assert [r[2] for r in decision_rows(summary)] == [d.confidence for d in decisions]
    drawn = pdf_text(render_pdf(summary))
    assert "Recommended actions" in drawn and "Not recommended:" in drawn
    assert format_value(decisions[0].effect, "currency", summary.currency) in drawn
