"""The Forecasts page's spend-response chart covers the spend the data has seen: a fit whose
break-even lies 91× past Web's largest daily spend once stretched the axis to ~105k a day,
squashing every other touchpoint at the origin."""

from __future__ import annotations

import pytest

from dashapp.components.forecast_charts import saturation_figure
from forecasting.saturation import SaturationCurve
from forecasting.spend_response import TouchpointResponse


def response(name: str, max_spend: float, a: float, k: float) -> TouchpointResponse:
    curve = SaturationCurve("exponential", {"base": 1000.0, "a": a, "k": k}, 0.5, max_spend)
    return TouchpointResponse(name.lower(), name, curve, curve.spend_at_marginal(1.0))


@pytest.fixture
def figure():
    web = response("Web", 961.0, 553_000.0, 30_000.0)  # break-even ≈ 87,4xx a day
    market = response("Marketplace", 476.0, 4430.0, 323.0)  # ≈ 846: past its data, on the axis
    assert web.break_even_spend > 90 * 961 and 476 < market.break_even_spend < 1.5 * 961
    return saturation_figure([market, web], "USD")


def test_the_axis_covers_the_observed_spend_with_headroom(figure):
    assert list(figure.layout.xaxis.range) == pytest.approx([0, 1.5 * 961])
    assert max(max(trace.x) for trace in figure.data) <= 1.5 * 961 + 1e-9


def test_the_curves_are_dashed_past_each_touchpoints_largest_spend(figure):
    for name, seen in (("Web", 961.0), ("Marketplace", 476.0)):
        lines = [t for t in figure.data if t.legendgroup == name and t.mode != "markers"]
        solid, dashed = sorted(lines, key=lambda t: t.line.dash is not None)
        assert (solid.line.dash, min(solid.x), max(solid.x)) == (None, 0, seen)
        assert (dashed.line.dash, min(dashed.x)) == ("dash", seen)


def test_a_break_even_far_past_the_data_is_stated_not_drawn(figure):
    web = [t for t in figure.data if t.legendgroup == "Web"]
    assert not [t for t in web if t.mode == "markers"]
    (legend,) = [t.name for t in web if t.showlegend is not False]
    stop = f"{response('Web', 961.0, 553_000.0, 30_000.0).break_even_spend:,.0f}"
    assert legend == f"Web: break-even beyond the data (≈ {stop} USD/day)"


def test_a_break_even_within_the_axis_is_marked_on_its_extrapolated_curve(figure):
    (marker,) = [t for t in figure.data if t.legendgroup == "Marketplace" and t.mode == "markers"]
    assert marker.x[0] == pytest.approx(
        response("Marketplace", 476.0, 4430.0, 323.0).break_even_spend
    )
    assert "beyond the data" in marker.hovertemplate
