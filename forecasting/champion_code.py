"""The file MLflow runs to load a champion forecast ("models from code"); its state comes from
the model's ``state`` artifact (``forecasting.champion``)."""

from mlflow.models import set_model

from forecasting.champion import ChampionForecast

set_model(ChampionForecast.unloaded())
