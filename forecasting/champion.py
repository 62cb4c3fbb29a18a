"""The champion forecast of one series as an MLflow pyfunc model, logged as code.

MLflow loads the model from ``champion_code.py`` ("models from code") instead of unpickling a
Python object it was handed, and the model's state (the fitted model, its forecast and
calibration) travels as an artifact this module writes and reads.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import cloudpickle
import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models import infer_signature
from mlflow.types import ColSpec
from mlflow.types import Schema

from forecasting.backtest import MODEL
from forecasting.calibration import calibrate
from forecasting.calibration import clip_nonnegative
from forecasting.errors import ForecastingError
from forecasting.models import ForecastModel
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import YHAT

MODEL_CODE = Path(__file__).with_name("champion_code.py")
STATE_ARTIFACT = "state"


class RetiredModel:
    """Stands in, in a stored champion, for a fitted model whose class an earlier release had
    and this one has not: the stored forecast still publishes (promote, roll back), while
    refitting it needs the series retrained."""

    def __init__(self, *args, **kwargs) -> None:
        pass


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return super().find_class(module, name)
        except (AttributeError, ImportError):
            return RetiredModel


def load_state(state: bytes) -> dict:
    """A champion's pickled state, its retired model classes replaced by ``RetiredModel``."""
    return _StateUnpickler(io.BytesIO(state)).load()


class ChampionForecast(mlflow.pyfunc.PythonModel):
    """A fitted model and the forecast published for one series (reconciled, calibrated).

    ``predict`` (the pyfunc entry point) returns the stored forecast, limited to the ``ds``
    values of the input when it has a ``ds`` column. ``reforecast`` runs the fitted model
    again, adds the reconciliation's ``adjustment`` per date, sets the interval from the same
    conformal ``offsets`` and truncates at zero when the measure is non-negative, so it
    returns the same numbers: every model here is deterministic.

    MLflow logs it as code (``champion_code.py``) with its state as the ``state`` artifact
    (``save_state``), and gives a loaded model that state back in ``load_context``.
    """

    def __init__(
        self,
        unique_id: str,
        model_name: str,
        fitted: ForecastModel,
        forecast: pd.DataFrame,
        horizon: int,
        future_exog: pd.DataFrame | None = None,
        offsets: pd.DataFrame | None = None,
        bucket: int = 1,
        adjustment: pd.DataFrame | None = None,
        nonnegative: bool = False,
        source_id: str | None = None,
    ) -> None:
        self.unique_id = unique_id
        self.model_name = model_name
        self.fitted = fitted
        self.forecast = forecast[FORECAST_COLUMNS].reset_index(drop=True)
        self.horizon = horizon
        self.level = fitted.level
        self.future_exog = future_exog
        self.offsets = offsets
        self.bucket = bucket
        self.adjustment = adjustment
        self.nonnegative = nonnegative
        self.source_id = source_id or unique_id
        """The series the fitted model knows this one by (itself, unless it was a duplicate)."""

    @classmethod
    def unloaded(cls) -> ChampionForecast:
        """The model before ``load_context`` gives it its state (what the code file declares)."""
        return cls.__new__(cls)

    def save_state(self, path: Path) -> Path:
        """Write this model's state where ``load_context`` reads it back."""
        path.write_bytes(cloudpickle.dumps(vars(self)))
        return path

    def load_context(self, context) -> None:
        state = Path(context.artifacts[STATE_ARTIFACT]).read_bytes()
        vars(self).update(load_state(state))

    def signature(self) -> ModelSignature:
        """What ``predict`` takes (optionally the dates wanted) and returns (the forecast)."""
        outputs = infer_signature(model_output=self.forecast).outputs
        return ModelSignature(Schema([ColSpec("datetime", DS, required=False)]), outputs)

    def input_example(self) -> pd.DataFrame:
        """A request for the first forecast date (kept with the model as its example)."""
        return self.forecast[[DS]].head(1)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        if isinstance(model_input, pd.DataFrame) and DS in model_input.columns:
            wanted = pd.to_datetime(model_input[DS])
            return self.forecast[self.forecast[DS].isin(wanted)].reset_index(drop=True)
        return self.forecast.copy()

    def reforecast(self) -> pd.DataFrame:
        if isinstance(self.fitted, RetiredModel):
            raise ForecastingError(
                f"the model of series {self.unique_id!r} was fitted by an earlier release;"
                " retrain the series to forecast with it again"
            )
        predicted = self.fitted.predict(self.horizon, self.future_exog)
        mine = predicted[predicted[ID] == self.source_id].assign(
            **{ID: self.unique_id, MODEL: self.model_name}
        )
        if self.nonnegative:
            mine = clip_nonnegative(mine)
        if self.adjustment is not None:
            shift = mine[[DS]].merge(self.adjustment, on=DS, how="left")["adjustment"]
            mine = mine.assign(**{YHAT: mine[YHAT].to_numpy() + shift.fillna(0.0).to_numpy()})
        if self.offsets is not None:
            mine = calibrate(mine, self.offsets, self.bucket)
        if self.nonnegative:
            mine = clip_nonnegative(mine)
        return mine[FORECAST_COLUMNS].reset_index(drop=True)
