import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


@pytest.fixture
def sales_csv(tmp_path):
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[days.day_of_week]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "day": days.strftime("%Y-%m-%d"),
                    "channel": name,
                    "revenue": base * weekly + rng.normal(0, 2, len(days)),
                }
            )
            for name, base in (("web", 100.0), ("store", 250.0))
        ]
    )
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    return path, frame


def invoke(*args):
    return runner.invoke(app, ["forecast", *map(str, args)])


def invoke_on_sales(path, horizon, *args):
    """The forecast command over the sales CSV's revenue per channel."""
    columns = ("--time-col", "day", "--value-col", "revenue", "--id-col", "channel")
    return invoke("--data", path, *columns, "--horizon", horizon, *args)


def test_snaive_forecast_as_csv(sales_csv):
    path, frame = sales_csv
    result = invoke_on_sales(path, 7, "--model", "snaive")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(io.StringIO(result.stdout))
    assert list(out.columns) == [
        "unique_id",
        "ds",
        "yhat",
        "yhat_lower",
        "yhat_upper",
        "model",
        "level",
    ]
    web = out[out.unique_id == "web"]
    expected = frame[frame.channel == "web"].revenue.to_numpy()[-7:]
    np.testing.assert_allclose(web.yhat.to_numpy(), expected)
    assert web.ds.iloc[0] == "2024-05-20" and (out.level == 80).all()


def test_profile_model_by_name(sales_csv):
    path, frame = sales_csv
    result = invoke_on_sales(path, 7, "--model", "profile")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(io.StringIO(result.stdout))
    assert set(out.model) == {"profile"} and len(out) == 2 * 7
    # the recent 56 days' weekday-adjusted mean level (see ProfileModel), with no US holiday,
    # moved to the median: the mean up to sampling for this symmetric noise
    web = frame[frame.channel == "web"].set_index(pd.to_datetime(frame.day[frame.channel == "web"]))
    weekday = web.revenue.groupby(web.index.day_of_week).mean()
    weekday = weekday / weekday.mean()
    recent = web.revenue.tail(56)
    level = recent.sum() / weekday[recent.index.day_of_week].sum()
    days = pd.to_datetime(out[out.unique_id == "web"].ds)
    expected = level * weekday[days.dt.day_of_week].to_numpy()
    np.testing.assert_allclose(out[out.unique_id == "web"].yhat.to_numpy(), expected, rtol=0.005)


def test_auto_with_backtest_as_json(sales_csv):
    path, frame = sales_csv
    result = invoke_on_sales(path, 14, "--backtest", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["level"] == 80
    assert len(payload["forecast"]) == 2 * 14
    singles = {"snaive", "naive", "ets", "theta", "arima", "prophet", "lightgbm", "profile"}
    candidates = singles | {"combo_mean", "combo_median", "combo_classical"}
    assert {row["model"] for row in payload["forecast"]} <= candidates
    assert min(row["yhat_lower"] for row in payload["forecast"]) >= 0
    scores = pd.DataFrame(payload["backtest"])
    assert set(scores.model) == candidates
    # the snaive backtest score over the rolling origins (3 folds of 14 days: 140 days of
    # data leave 98 before the first cutoff), recomputed by hand
    y = frame[frame.channel == "store"].revenue.to_numpy()
    wapes = []
    for cut in (98, 112, 126):
        train_y, actual = y[:cut], y[cut : cut + 14]
        forecast = np.r_[train_y[-7:], train_y[-7:]]
        wapes.append(np.abs(forecast - actual).sum() / actual.sum())
    got = scores[(scores.unique_id == "store") & (scores.model == "snaive")].wape.iloc[0]
    assert got == pytest.approx(np.mean(wapes))
    skill = pd.DataFrame(payload["skill"]).set_index("unique_id")
    assert set(skill.index) == {"web", "store"}
    store = skill.loc["store"]
    assert store.classical in {"ets", "theta", "arima"}
    classical = scores[(scores.unique_id == "store") & scores.model.isin(["ets", "theta", "arima"])]
    assert store.classical_mase == pytest.approx(classical.mase.min())
    assert store.mase_vs_snaive == pytest.approx(store.mase / store.snaive_mase)
    assert store.mase_vs_classical == pytest.approx(store.mase / store.classical_mase)


def test_one_model_backtest_reports_skill_against_seasonal_naive_and_classical(sales_csv):
    path, _ = sales_csv
    result = invoke_on_sales(path, 14, "--model", "naive", "--backtest")
    assert result.exit_code == 0, result.output
    forecast, scores, skill = (
        pd.read_csv(io.StringIO(part)) for part in result.stdout.split("\n\n")
    )
    assert set(forecast.model) == {"naive"}
    assert set(scores.model) == {"snaive", "naive", "ets", "theta", "arima"}
    web = skill.set_index("unique_id").loc["web"]
    mase = scores.set_index(["unique_id", "model"]).mase
    assert web.mase_vs_snaive == pytest.approx(mase["web", "naive"] / mase["web", "snaive"])
    best = min(mase["web", m] for m in ("ets", "theta", "arima"))
    assert web.mase_vs_classical == pytest.approx(mase["web", "naive"] / best)


def test_single_series_json_lines_without_id(tmp_path):
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    path = tmp_path / "one.jsonl"
    pd.DataFrame({"t": days.strftime("%Y-%m-%d"), "v": np.arange(30.0)}).to_json(
        path, orient="records", lines=True
    )
    result = invoke(
        "--data",
        path,
        "--time-col",
        "t",
        "--value-col",
        "v",
        "--horizon",
        3,
        "--model",
        "snaive",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["forecast"]
    assert [r["yhat"] for r in rows] == [23.0, 24.0, 25.0]
    assert rows[0]["unique_id"] == "series" and rows[0]["ds"] == "2024-01-31"


BY_CHANNEL = ["--time-col", "day", "--value-col", "revenue", "--id-col", "channel"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-col", "day", "--value-col", "sales", "--horizon", 7], "no column"),
        (["--time-col", "day", "--value-col", "revenue", "--horizon", 7], "duplicated"),
        ([*BY_CHANNEL, "--horizon", 0], "--horizon must be 1 to 730 steps"),
        ([*BY_CHANNEL, "--horizon", 10**5], "--horizon must be 1 to 730 steps, got 100000"),
        ([*BY_CHANNEL, "--horizon", 130, "--backtest"], "holds out"),
    ],
)
def test_bad_input_exits_2_with_the_reason_on_stderr(sales_csv, args, message):
    path, _ = sales_csv
    result = invoke("--data", path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("first_day", "value", "message"),
    [
        ("2024-01-01", "1e400", "has missing, non-numeric or infinite values"),
        ("2262-03-01", "5", "days after 2199-12-31 cannot be forecast from"),
    ],
)
def test_values_and_days_no_model_can_use_exit_2(tmp_path, first_day, value, message):
    days = pd.date_range(first_day, periods=20, freq="D").strftime("%Y-%m-%d")
    path = tmp_path / "series.csv"
    path.write_text(
        "ds,y\n" + "".join(f"{d},{value if n == 3 else n}\n" for n, d in enumerate(days))
    )
    result = invoke("--data", path, "--time-col", "ds", "--value-col", "y", "--horizon", 7)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_missing_file_exits_2(tmp_path):
    result = invoke(
        "--data", tmp_path / "nope.csv", "--time-col", "d", "--value-col", "v", "--horizon", 7
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
