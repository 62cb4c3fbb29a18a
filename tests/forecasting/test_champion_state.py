"""A champion stored by an earlier release whose model class is gone still loads: its stored
forecast publishes, and refitting says to retrain instead of failing in the unpickler."""

import importlib
import sys

import pandas as pd
import pytest

from forecasting.champion import ChampionForecast
from forecasting.champion import RetiredModel
from forecasting.champion import load_state
from forecasting.errors import ForecastingError

OLD_RELEASE = """
class Theta:
    level = 80

    def __init__(self):
        self.alpha = 0.3
"""


@pytest.fixture
def old_release_model(tmp_path, monkeypatch):
    """An instance of a model class from a module that a later release no longer has."""
    (tmp_path / "old_release_models.py").write_text(OLD_RELEASE)
    monkeypatch.syspath_prepend(str(tmp_path))
    model = importlib.import_module("old_release_models").Theta()
    yield model
    sys.modules.pop("old_release_models", None)


def test_a_champion_whose_model_class_is_gone_keeps_its_forecast(old_release_model, tmp_path):
    ds = pd.date_range("2026-01-01", periods=3)
    forecast = pd.DataFrame(
        {
            "unique_id": "Web",
            "ds": ds,
            "yhat": [1.0, 2.0, 3.0],
            "yhat_lower": 0.0,
            "yhat_upper": 4.0,
        }
    )
    stored = ChampionForecast("Web", "theta", old_release_model, forecast, horizon=3)
    state = stored.save_state(tmp_path / "state").read_bytes()

    sys.modules.pop("old_release_models")
    (tmp_path / "old_release_models.py").unlink()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("old_release_models")

    loaded = ChampionForecast.unloaded()
    vars(loaded).update(load_state(state))
    pd.testing.assert_frame_equal(loaded.predict(None, None), forecast)
    assert isinstance(loaded.fitted, RetiredModel) and loaded.fitted.alpha == 0.3
    assert loaded.level == 80
    with pytest.raises(ForecastingError, match="retrain the series"):
        loaded.reforecast()
