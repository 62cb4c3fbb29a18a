"""Which channels sold without order lines: a file mapped without ``line_fields`` loads orders
with their totals alone, so product, basket, unit and price analyses cannot see them. Pages
that need lines say so (``lines_note``) instead of showing an empty or partial answer silently.
Read from the rollups: touchpoints with orders in the period but no line units."""

from __future__ import annotations

from analytics.order_values import basket_sums
from analytics.order_values import channel_sums
from analytics.periods import Period
from analytics.rollup import Filters


def touchpoints_without_lines(
    period: Period, filters: Filters | None = None, url: str | None = None
) -> list[str]:
    """Names of the touchpoints with orders in the period and no order lines of a known
    product (lines whose SKU is not in the product table feed no product rollup)."""
    sums = channel_sums(period, "touchpoint", filters, url)
    baskets = basket_sums(period, "touchpoint", filters, url)
    with_lines = set(baskets.loc[baskets["units"] > 0, "channel"])
    bare = sums[(sums["orders"] > 0) & ~sums["touchpoint"].isin(with_lines)]
    return sorted(bare["touchpoint_name"])


def lines_note(
    period: Period, what: str, filters: Filters | None = None, url: str | None = None
) -> str | None:
    """ "No order lines loaded for …" naming the touchpoints ``what`` leaves out, or None."""
    names = touchpoints_without_lines(period, filters, url)
    if not names:
        return None
    return (
        f"No order lines loaded for {', '.join(names)} in this period (none, or none of a "
        f"known product): {what} leaves their orders out."
    )
