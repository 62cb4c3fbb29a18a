"""The one exception type for expected forecasting failures (bad series, bad parameters)."""


class ForecastingError(ValueError):
    """A request forecasting cannot answer; the message says which input and why."""
