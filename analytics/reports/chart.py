"""The report's chart as a PNG: revenue by channel this week vs the prior week."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from analytics.metrics import format_value  # noqa: E402
from analytics.reports.summary import WeeklySummary  # noqa: E402


def revenue_chart_png(summary: WeeklySummary, dpi: int = 150) -> bytes:
    frame = summary.by_channel
    figure, axes = plt.subplots(figsize=(7.5, 3.4), dpi=dpi)
    positions = np.arange(len(frame))
    width = 0.4
    axes.bar(positions - width / 2, frame["revenue"], width, label="This week", color="#0d6efd")
    axes.bar(
        positions + width / 2, frame["revenue_prior"], width, label="Prior week", color="#adb5bd"
    )
    axes.set_xticks(positions, frame["channel_name"], rotation=20, ha="right", fontsize=8)
    axes.set_title(
        f"Revenue by channel, {summary.period.start:%d %b} – {summary.period.end:%d %b %Y}",
        fontsize=11,
        loc="left",
    )
    axes.set_ylabel(f"Revenue ({summary.currency})", fontsize=9)
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: format_value(value, "currency", summary.currency))
    )
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False)
    if frame.empty:
        axes.text(0.5, 0.5, "No revenue this week", ha="center", transform=axes.transAxes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
