"""The one exception type for expected failures in the database layer's commands."""


class CommandError(ValueError):
    """A command refused its input; the message says which input and why."""
