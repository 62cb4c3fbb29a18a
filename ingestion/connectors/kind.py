"""What a source kind is: how it is pulled, how its records map, how pushes are checked and loaded.

Each connector module defines one ``KIND``; ``ingestion.connectors.registry`` lists them.
Syncing, the webhook endpoint, the quarantine and the source commands read these
entries instead of branching on the kind's name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from ingestion.sources import SourceInfo


class LoadStrategy(enum.Enum):
    """How a sync loads what a kind's pager reads."""

    ORDERS = "orders"  # order payloads, one transaction a page, merged on the natural key
    SESSIONS = "sessions"  # rows whose days span pages: the whole read as one transaction
    FILES = "files"  # a directory of file drops, one transaction a file


@dataclass(frozen=True)
class Push:
    """Signed webhook pushes: ``verify(body, headers, secret, url)`` checks the signature
    (``url``: where the source sent the push); a push either carries a whole order payload
    or only says that the source changed (then the source is synced)."""

    verify: Callable[[bytes, Mapping[str, str], str, str], bool]
    carries_order: bool


@dataclass(frozen=True)
class SourceKind:
    """One source kind.

    ``pager(source, token, **client_options)`` builds the pulling connector (its
    ``fetch(cursor)`` yields pages); ``mapper`` maps its records: one order payload to a
    canonical order (None: not an order) for ``ORDERS``, all rows of a read to traffic
    for ``SESSIONS``.
    """

    name: str
    load: LoadStrategy
    pager: Callable[..., Any] | None = None
    mapper: Callable[..., Any] | None = None
    push: Push | None = None

    def build_pager(self, source: SourceInfo, token: str, **client_options: Any):
        return self.pager(source, token, source_instance=source.instance, **client_options)
