"""The one exception type for expected analytics failures (bad parameters, no data)."""


class AnalyticsError(ValueError):
    """A request analytics cannot answer; the message says which input and why."""
