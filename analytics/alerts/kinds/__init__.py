"""The alert rule kinds, one file each, registered here in the order the forms offer them.

A kind is one object (``base.RuleKind``): how its rules are validated, how much history a
judgement reads, what a bucket is compared with, and the judgement itself. A new kind is a new
file with a ``RuleKind`` subclass and one line in ``RULE_KINDS``.
"""

from __future__ import annotations

from analytics.alerts.kinds.band import BAND
from analytics.alerts.kinds.base import RuleKind
from analytics.alerts.kinds.change import CHANGE
from analytics.alerts.kinds.margin_below import MARGIN_BELOW
from analytics.alerts.kinds.shesd import SHESD
from analytics.alerts.kinds.target_deviation import TARGET_DEVIATION
from analytics.alerts.kinds.threshold import THRESHOLD

RULE_KINDS: dict[str, RuleKind] = {
    kind.name: kind
    for kind in (
        THRESHOLD,
        TARGET_DEVIATION,
        CHANGE,
        MARGIN_BELOW,
        BAND,
        SHESD,
    )
}
