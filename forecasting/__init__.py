"""Demand and channel forecasting: models, backtests, champion selection, MLflow registry,
spend saturation and stock-out risk. Series pass in long format: ``unique_id, ds, y`` (+ exog)."""
