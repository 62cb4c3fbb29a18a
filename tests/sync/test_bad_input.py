"""Bad input lands in the quarantine with a readable reason; the rest of the batch loads and the
run's counts reconcile (read = inserted + updated + unchanged + rejected)."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import text

from db.engine import get_engine
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from ingestion.sync import load_pages
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

ORIGIN = Origin("shopify", "main-store", "webhook", "shop")


def _edit(number: int, change) -> dict:
    order = make_order(number)
    change(order)
    return order


def _raw(number: int, transform) -> bytes:
    return transform(json.dumps(make_order(number)).encode())


BAD = [
    ("missing field", _edit(101, lambda o: o.pop("total_price")), "missing field total_price"),
    ("missing id", _edit(102, lambda o: o.pop("id")), "missing field id"),
    (
        "wrong type",
        _edit(103, lambda o: o.update(total_price={"amount": 3})),
        "total_price: {'amount': 3} is not an amount",
    ),
    (
        "wrong type in a line",
        _edit(104, lambda o: o["line_items"][0].update(quantity="two")),
        "line_items[0].quantity: 'two' is not a number",
    ),
    (
        "lines not a list",
        _edit(105, lambda o: o.update(line_items=5)),
        "cannot map the payload (TypeError: 'int' object is not iterable)",
    ),
    ("bad currency", _edit(106, lambda o: o.update(currency="ZZZ")), "ISO 4217"),
    (
        "negative quantity",
        _edit(107, lambda o: o["line_items"][0].update(quantity=-2)),
        "lines.0.qty: Input should be greater than or equal to 0",
    ),
    (
        "totals do not reconcile",
        _edit(108, lambda o: o.update(total_price="1.00")),
        "but the total is 1.00",
    ),
    (
        "far in the future",
        _edit(109, lambda o: o.update(created_at="2099-01-01T00:00:00Z")),
        "ordered_at 2099-01-01T00:00:00+00:00 is later than",
    ),
    (
        "NUL in a text field",
        _edit(113, lambda o: o.update(source_name="web\x00")),
        "touchpoint_fields.source_name: contains a NUL character",
    ),
    (
        "NUL in a line",
        _edit(114, lambda o: o["line_items"][0].update(sku="CAP\x00")),
        "lines.0.sku: contains a NUL character",
    ),
    ("truncated JSON", _raw(110, lambda b: b[: len(b) // 2]), "payload is not valid JSON"),
    ("invalid UTF-8", _raw(111, lambda b: b.replace(b'"USD"', b'"US\xff"')), "not valid UTF-8"),
    ("not an object", b"[1, 2, 3]", "payload is a JSON list, expected an object"),
    (
        "10 MB payload",
        _raw(112, lambda b: b[:-1] + b', "note": "' + b"x" * (10 * 1024 * 1024) + b'"}'),
        "payload is 10.0 MB, larger than the 2.0 MB",
    ),
]


def _run_counts(conn, run_id: int):
    return conn.execute(
        text("SELECT read, inserted, updated, unchanged, rejected FROM ingest_run WHERE id = :id"),
        {"id": run_id},
    ).one()


def test_each_bad_payload_is_quarantined_with_its_reason_and_the_rest_loads(pg_url):
    good = [make_order(n) for n in range(20)]
    duplicate_old, duplicate_new = make_order(7), make_order(7, version=1)
    items = [Incoming(None, p) for p in good[:10]]
    items += [Incoming(name, payload) for name, payload, _ in BAD]
    items += [Incoming(None, p) for p in good[10:]] + [
        Incoming(None, duplicate_new),
        Incoming(None, duplicate_old),
    ]
    engine = get_engine()
    result, rejects = load_page(engine, ORIGIN, items)

    by_record = {r.record_id: r.error for r in rejects}
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT record_id, error, payload, status, ingest_run_id FROM reject ORDER BY id")
        ).all()
        assert database_totals(conn) == expected_totals(good + [duplicate_old, duplicate_new])
        run_id = stored[0].ingest_run_id
        read, inserted, updated, unchanged, rejected = _run_counts(conn, run_id)
    assert len(stored) == len(BAD)
    for (name, payload, reason), row in zip(BAD, stored, strict=True):
        assert row.record_id == name
        assert reason in row.error, name
        assert row.status == "quarantined"
        expected_bytes = payload if isinstance(payload, bytes) else None
        if expected_bytes is not None:
            assert bytes(row.payload) == expected_bytes  # kept byte for byte
        else:
            assert json.loads(bytes(row.payload)) == payload
        assert by_record[name] == row.error
    # 22 good records (20 + two copies of order 7 collapsed to its newest) and 13 rejects.
    assert (read, rejected) == (22 + len(BAD), len(BAD))
    assert read == inserted + updated + unchanged + rejected
    assert inserted == 20 and unchanged == 2


ALTERATIONS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
FIELDS = [
    "id",
    "currency",
    "created_at",
    "updated_at",
    "total_price",
    "total_tax",
    "total_discounts",
    "source_name",
    "line_items",
    "financial_status",
    "customer",
    "refunds",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(FIELDS), st.booleans(), ALTERATIONS), min_size=1, max_size=3
    ),
    st.integers(min_value=0, max_value=10**6),
)
def test_any_corrupted_order_is_loaded_or_quarantined_and_counts_reconcile(pg_url, edits, salt):
    order = make_order(1000 + salt % 5000, seed=salt)
    corrupted = copy.deepcopy(order)
    for field, delete, value in edits:
        if delete:
            corrupted.pop(field, None)
        else:
            corrupted[field] = value
    engine = get_engine()
    good = make_order(9000 + salt % 5000)
    result, rejects = load_page(engine, ORIGIN, [Incoming(None, corrupted), Incoming(None, good)])
    assert result.read + len(rejects) == 2
    assert all(r.error.strip() for r in rejects)
    with engine.connect() as conn:
        run_id = conn.execute(text("SELECT max(id) FROM ingest_run")).scalar()
        read, inserted, updated, unchanged, rejected = _run_counts(conn, run_id)
        stored_good = conn.execute(
            text("SELECT count(*) FROM sales_order WHERE source_order_id = :id"),
            {"id": str(good["id"])},
        ).scalar()
    assert read == inserted + updated + unchanged + rejected == 2
    assert rejected == len(rejects)
    assert stored_good == 1


def test_an_order_id_with_a_nul_is_quarantined_under_a_storable_record_id(pg_url):
    bad = _edit(115, lambda o: o.update(id="A\x00115"))
    result, rejects = load_page(get_engine(), ORIGIN, [Incoming(None, bad)])
    assert (result.read, len(rejects)) == (0, 1)
    with get_engine().connect() as conn:
        record_id, error = conn.execute(text("SELECT record_id, error FROM reject")).one()
    assert record_id == "A\\x00115"
    assert error == "source_order_id: contains a NUL character, which the database cannot store"


def test_a_nul_in_an_order_id_is_quarantined_by_a_sync_too(pg_url):
    # A sync first looks the page's ids up among the stored orders: that look-up must not
    # send the database a NUL either.
    bad = _edit(116, lambda o: o.update(id="A\x00116"))
    pages = [([Incoming(None, json.dumps(bad).encode()), Incoming(None, make_order(117))], None)]
    result = load_pages(get_engine(), ORIGIN, iter(pages), workers=0)
    assert (result.inserted, result.rejected) == (1, 1)
