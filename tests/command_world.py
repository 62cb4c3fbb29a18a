"""A database holding one of everything a command acts on, for the tests that call commands
with every role (``tests/db/test_command_roles.py``, ``tests/dashapp/test_page_commands.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text

from analytics.targets import TargetInput
from analytics.targets import set_target
from db.engine import get_engine
from db.migrate import upgrade
from db.roles import system
from db.schema import Base
from db.settings import get_settings
from db.users import add_user
from ingestion.rules import list_rules
from ingestion.sources import add_source
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.alerts.conftest import fire_alert
from tests.conftest import create_database
from tests.conftest import drop_database


@dataclass(frozen=True)
class World:
    """A database holding one of everything a command acts on, and files to load."""

    url: str
    files: Path
    target_id: int
    alert_rule_id: int
    alert_id: int
    channel_rule_id: int
    reject_id: int


TARGET_CSV = (
    "scope_type,scope_code,metric,period_start,period_end,value\n"
    "total,,revenue,2026-08-01,2026-08-31,150000\n"
)


def _seed(url: str, files: Path) -> World:
    files.mkdir(exist_ok=True)
    (files / "targets.csv").write_text(TARGET_CSV)
    (files / "rates.csv").write_text("day,currency,rate\n2026-06-01,USD,0.92\n")
    (files / "regions.csv").write_text("source_system,kind,value,region\nshopify,country,DE,de\n")
    seed = system("tests")
    add_user("victim", "victim-password", "planner", seed)
    set_target(TargetInput("total", "total", "revenue", "2026-07-01", "2026-07-31", "1000"), seed)
    alert_id = fire_alert(url)
    origin = Origin("shopify", "main-store", "webhook", "shop")
    load_page(get_engine(url), origin, [Incoming("order-9", b"\xff not json")])
    add_source("shop", "shopify", "main-store", "https://shop.example.com/", actor=seed)
    with get_engine(url).connect() as conn:
        reject_id = conn.execute(select(Base.metadata.tables["reject"].c.id)).scalar_one()
        target_id = conn.execute(select(Base.metadata.tables["target"].c.id)).scalar_one()
        alert_rule_id = conn.execute(select(Base.metadata.tables["alert_rule"].c.id)).scalar_one()
    return World(url, files, target_id, alert_rule_id, alert_id, list_rules()[0].id, reject_id)


def seeded_world(tmp_path_factory) -> Iterator[World]:
    """A fresh database seeded once (for a module's tests); dropped afterwards."""
    url = create_database("cp_roles")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHANNELPERF_DATABASE_URL", url)
        get_settings.cache_clear()
        upgrade(url)
        world = _seed(url, tmp_path_factory.mktemp("command-files"))
    get_settings.cache_clear()
    yield world
    drop_database(url)


def database_state(url: str) -> dict[str, str]:
    """A digest of every table's rows (the audit log included), by table, read in one query."""
    engine = get_engine(url)
    quote = engine.dialect.identifier_preparer.quote
    digests = " UNION ALL ".join(
        f"SELECT '{t.name}', md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) "
        f"FROM {quote(t.name)} r"
        for t in Base.metadata.sorted_tables
    )
    with engine.connect() as conn:
        return dict(conn.execute(text(digests)).all())


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
