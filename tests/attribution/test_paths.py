"""The aggregated-path format, the path explorer and journeys stitched from touches and orders."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.attribution import attribute
from analytics.attribution import read_paths
from analytics.attribution import top_paths
from analytics.attribution.journeys import load_journeys
from analytics.attribution.journeys import stitch
from analytics.errors import AnalyticsError
from analytics.periods import Period

ROWS = [
    ("Search > Social > Email", 3, 120.5, 10),
    ("Email", 1, 40.0, 0),
    ("Social > Search", 0, 0, 6),
]


def write(tmp_path, text: str, name="paths.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_reads_the_aggregated_format_with_either_delimiter(tmp_path, delimiter):
    lines = [delimiter.join(["path", "total_conversions", "total_conversion_value", "total_null"])]
    lines += [delimiter.join(map(str, row)) for row in ROWS]
    table = read_paths(write(tmp_path, "\n".join(lines) + "\n"))
    assert table.channels == ("Email", "Search", "Social")
    assert table.labels().tolist() == [r[0] for r in ROWS]
    np.testing.assert_array_equal(table.conversions, [3, 1, 0])
    np.testing.assert_array_equal(table.nulls, [10, 0, 6])
    assert table.total_value == pytest.approx(160.5)
    last = attribute(table, "last").set_index("channel")
    assert last.at["Email", "conversions"] == 4 and last.at["Email", "value"] == 160.5


def test_path_explorer_ranks_paths_by_journeys(tmp_path):
    text = "path,total_conversions,total_null\n" + "\n".join(f"{p},{c},{n}" for p, c, _, n in ROWS)
    explorer = top_paths(read_paths(write(tmp_path, text)), n=2)
    assert explorer["path"].tolist() == ["Search > Social > Email", "Social > Search"]
    assert explorer["journeys"].tolist() == [13, 6]
    assert explorer["conversion_rate"].tolist() == pytest.approx([3 / 13, 0.0])
    assert explorer["length"].tolist() == [3, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("route,total_conversions\nA,1\n", "no column 'path'"),
        ("path,total_conversions\n", "has no paths"),
        ("path,total_conversions\nA > B,-1\n", "row 2: total_conversions must be a non-negative"),
        ("path,total_conversions\nA > B,lots\n", "row 2: total_conversions"),
        ("path,total_conversions\nA > > B,1\n", "empty channel name"),
        ("path,total_conversions\n,1\n", "empty channel name"),
        ("path,total_conversions,total_null\nA,0,4\n", "no conversions"),
    ],
)
def test_bad_path_files_are_refused_with_the_reason(tmp_path, text, message):
    with pytest.raises(AnalyticsError, match=message):
        read_paths(write(tmp_path, text))


def test_a_missing_or_binary_file_is_refused(tmp_path):
    with pytest.raises(AnalyticsError, match="no such file"):
        read_paths(tmp_path / "absent.csv")
    binary = tmp_path / "paths.csv"
    binary.write_bytes(b"\xff\xfe\x00path")
    with pytest.raises(AnalyticsError, match="not UTF-8"):
        read_paths(binary)


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_stitching_by_customer_with_a_lookback_window():
    touches = pd.DataFrame(
        [
            ("c1", "2026-03-01 10:00", "Web"),  # 40 days before c1's order: lost
            ("c1", "2026-04-01 09:00", "Mobile App"),  # on a phone
            ("c1", "2026-04-09 08:00", "Web"),  # on a laptop, same customer
            ("c1", "2026-04-10 12:00", "Web"),  # after the order: a new, lost journey
            ("c2", "2026-04-02 10:00", "Marketplace"),
            ("c2", "2026-04-03 10:00", "Web"),  # c2's first order claims both
            ("c2", "2026-04-04 10:00", "Mobile App"),  # then the second order
            ("c3", "2026-04-05 10:00", "Web"),  # no order
            ("c3", "2026-05-20 10:00", "Web"),  # more than a lookback later: another journey
        ],
        columns=["customer_key", "touched_at", "channel"],
    )
    touches["touched_at"] = touches["touched_at"].map(stamp)
    orders = pd.DataFrame(
        [
            (1, "c1", "2026-04-10 10:00", 100.0),
            (2, "c2", "2026-04-03 11:00", 50.0),
            (3, "c2", "2026-04-05 11:00", 70.0),
            (4, "c4", "2026-04-06 11:00", 20.0),  # no touches
        ],
        columns=["order_id", "customer_key", "ordered_at", "revenue_base"],
    )
    orders["ordered_at"] = orders["ordered_at"].map(stamp)
    orders["order_day"] = orders["ordered_at"].dt.date
    journeys = stitch(touches, orders, Period(dt.date(2026, 3, 1), dt.date(2026, 6, 30)), 30)
    table = journeys.paths
    labels = dict(
        zip(
            table.labels(),
            zip(table.conversions, table.nulls, table.value, strict=True),
            strict=False,
        )
    )
    assert sorted(table.labels()) == sorted(
        ["Mobile App > Web", "Marketplace > Web", "Mobile App", "Web", "Web", "Web", "Web"]
    )
    assert labels["Mobile App > Web"] == (1.0, 0.0, 100.0)
    assert labels["Marketplace > Web"] == (1.0, 0.0, 50.0)
    assert labels["Mobile App"] == (1.0, 0.0, 70.0)
    assert (journeys.converted, journeys.null_journeys, journeys.orders) == (3, 4, 4)
    converting = table.conversions > 0
    ages = np.split(table.ages, table.offsets[1:-1])
    first = next(
        a for a, label in zip(ages, table.labels(), strict=True) if label == "Mobile App > Web"
    )
    np.testing.assert_allclose(first, [9 + 1 / 24, 1 + 2 / 24])
    assert converting.sum() == 3


def test_journeys_from_the_demo_touch_table(demo):
    """Each touch goes to its customer's next order within 30 days (found here by bisection per
    customer); every demo order whose journey names it converts."""
    import bisect

    from sqlalchemy import text

    from db.engine import get_engine

    period = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    journeys = load_journeys(period, 30)
    with get_engine().connect() as conn:
        named = set(
            conn.execute(
                text(
                    "SELECT o.id FROM sales_order o JOIN touch t "
                    "ON t.source_order_id = o.source_order_id "
                    "AND t.source_system = o.source_system "
                    "WHERE o.status <> 'cancelled' AND o.order_day BETWEEN :a AND :b"
                ),
                {"a": period.start, "b": period.end},
            ).scalars()
        )
        touches = conn.execute(text("SELECT customer_key, touched_at FROM touch")).all()
        orders = conn.execute(
            text(
                "SELECT customer_key, ordered_at, id, order_day FROM sales_order "
                "WHERE status <> 'cancelled' AND customer_key IS NOT NULL ORDER BY ordered_at"
            )
        ).all()
    by_customer: dict = {}
    for key, at, order_id, day in orders:
        by_customer.setdefault(key, []).append((at, order_id, day))
    converted = set()
    for key, at in touches:
        mine = by_customer.get(key, [])
        i = bisect.bisect_left([o[0] for o in mine], at)
        if (
            i < len(mine)
            and mine[i][0] - at <= dt.timedelta(days=30)
            and period.start <= mine[i][2] <= period.end
        ):
            converted.add(mine[i][1])
    assert len(named) > 100 and named <= converted
    assert journeys.converted == len(converted)
    assert journeys.paths.total_conversions == len(converted)
    assert set(journeys.paths.channels) <= {"Web", "Mobile App", "Marketplace", "Physical Store"}
    result = attribute(journeys.paths, "markov")
    assert result["conversions"].sum() == pytest.approx(len(converted))
