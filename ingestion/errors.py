"""The exception types for expected ingestion failures.

``IngestionError`` is the one type callers catch; the subclasses say whether the
source could not be read (retry later) or one payload could not be mapped
(quarantine it with the reason and carry on).
"""


class IngestionError(ValueError):
    """An ingestion step failed for a reason the message states."""


class SourceError(IngestionError):
    """A source system could not be read: unreachable, refused, or answered nonsense."""


class MappingError(IngestionError):
    """One source payload cannot become a canonical record; the message says why."""
