"""Every command checks its actor first, so a guard bug in front of it cannot become a write.

The commands are discovered, not listed: every public function of the domain packages with an
``actor: Actor`` parameter. Each must open with ``actor.require(<role>, …)`` (read from its
source), the role must be the one the page offering the action requires (``MINIMUM``, from
DESIGN.md's matrix), and every role below it is refused with ``PermissionDenied`` leaving the
audit log and every table as they were. A command added later is swept with its arguments
from ``ARGUMENTS`` or, without an entry there, with placeholders: the check comes first, so
it refuses before it looks at them.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from analytics.allocation import plan_reallocation
from analytics.budget.optimise import Allocation
from analytics.targets import TargetInput
from db.engine import get_engine
from db.roles import ROLES
from db.roles import Actor
from db.roles import PermissionDenied
from db.roles import system
from db.schema import AuditLog
from tests.alerts.synthetic import WEB_REVENUE_FLOOR
from tests.command_world import TARGET_CSV
from tests.command_world import World
from tests.command_world import changed_tables
from tests.command_world import database_state

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("analytics", "db", "forecasting", "ingestion")

MINIMUM = {
    "db.users.add_user": "admin",
    "db.users.set_role": "admin",
    "db.users.set_active": "admin",
    "db.users.issue_api_token": "admin",
    "db.users.revoke_api_token": "admin",
    "db.users.set_password": "admin",
    "analytics.targets.import_targets": "admin",
    "analytics.targets.set_target": "admin",
    "analytics.targets.import_target_csv": "admin",
    "analytics.targets.delete_targets": "admin",
    "analytics.alerts.rules.create_rule": "admin",
    "analytics.alerts.rules.update_rule": "admin",
    "analytics.alerts.rules.set_rule_active": "admin",
    "analytics.alerts.defaults.ensure_default_rules": "admin",
    "analytics.alerts.workflow.acknowledge": "executive",
    "analytics.alerts.workflow.submit_root_cause": "planner",
    "analytics.alerts.workflow.resolve": "planner",
    "ingestion.rules.add_rule": "admin",
    "ingestion.rules.edit_rule": "admin",
    "ingestion.rules.set_rule_active": "admin",
    "ingestion.remap.remap": "admin",
    "ingestion.sources.add_source": "admin",
    "ingestion.sources.edit_source": "admin",
    "ingestion.sources.set_source_enabled": "admin",
    "ingestion.sources.request_sync": "admin",
    "ingestion.demo.sources.register_demo_sources": "admin",
    "ingestion.quarantine.replay": "admin",
    "ingestion.saved_mappings.save_mapping": "admin",
    "ingestion.saved_mappings.delete_mapping": "admin",
    "ingestion.saved_mappings.list_mappings": "admin",
    "ingestion.saved_mappings.get_mapping": "admin",
    "ingestion.uploads.request_upload": "admin",
    "ingestion.quarantine.discard": "admin",
    "ingestion.reference_files.load_rates_file": "admin",
    "ingestion.reference_files.load_region_file": "admin",
    "analytics.reports.schedule.set_schedule": "admin",
    "analytics.allocation.apply_plan": "planner",
    "analytics.budget.plans.apply_budget_plan": "planner",
    "forecasting.jobs.promote_version": "data_scientist",
    "forecasting.jobs.rollback_champion": "data_scientist",
    "forecasting.retraining.start_training": "data_scientist",
    "analytics.taxonomy.add_category": "admin",
    "analytics.taxonomy.add_touchpoint": "admin",
    "analytics.taxonomy.rename_channel": "admin",
    "analytics.taxonomy.retire_channel": "admin",
    "analytics.taxonomy.restore_channel": "admin",
    "analytics.taxonomy.delete_channel": "admin",
    "analytics.channel_move.move_touchpoint": "admin",
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def discover_commands() -> dict[str, Callable]:
    """Public functions of the domain packages that take ``actor: Actor``, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "actor: Actor" not in path.read_text(encoding="utf-8"):
                continue
            module = importlib.import_module(_module_name(path))
            for name, function in inspect.getmembers(module, inspect.isfunction):
                parameter = inspect.signature(function).parameters.get("actor")
                if (
                    function.__module__ == module.__name__
                    and not name.startswith("_")
                    and parameter is not None
                    and parameter.annotation in ("Actor", Actor)
                ):
                    found[f"{module.__name__}.{name}"] = function
    return found


COMMANDS = discover_commands()


def required_role(function: Callable) -> str:
    """The role of the ``actor.require(role, …)`` that opens the function (after its docstring)."""
    (definition,) = ast.parse(textwrap.dedent(inspect.getsource(function))).body
    body = definition.body
    if ast.get_docstring(definition) is not None:
        body = body[1:]
    first = body[0]
    call = first.value if isinstance(first, ast.Expr) else None
    assert (
        isinstance(call, ast.Call)
        and ast.unparse(call.func) == "actor.require"
        and isinstance(call.args[0], ast.Constant)
    ), f"{function.__qualname__} must begin with actor.require(<role>, …), not {ast.unparse(first)}"
    return call.args[0].value


def test_every_command_opens_with_the_role_of_the_page_that_offers_it():
    assert set(MINIMUM) <= set(COMMANDS), "commands that lost their actor: Actor parameter"
    for name, function in COMMANDS.items():
        role = required_role(function)
        assert role in ROLES, (name, role)
        assert role == MINIMUM.get(name, role), (name, role, MINIMUM[name])


# --- the sweep over a seeded database ------------------------------------------------------


def _plan():
    positions = pd.DataFrame(
        {
            "product_id": [1, 1],
            "sku": ["P1", "P1"],
            "location_id": [10, 11],
            "location": ["Short", "Full"],
            "on_hand": [2, 120],
            "mean_h": [30.0, 10.0],
            "sd_h": [5.0, 3.0],
        }
    )
    return plan_reallocation(positions, 28, dt.date(2026, 6, 30))


def _allocation() -> Allocation:
    two = np.array([500.0, 500.0])
    return Allocation(
        channels=("web", "mobile_app"),
        total=1000.0,
        horizon_days=28,
        objective="revenue",
        current=two,
        proposed=np.array([600.0, 400.0]),
        revenue_current=two * 4,
        revenue_proposed=np.array([2500.0, 1560.0]),
        margin_current=two,
        margin_proposed=two,
        uplift=60.0,
        uplift_low=20.0,
        uplift_high=90.0,
    )


MAPPING = """\
kind: traffic
fields:
  day: {column: day, type: date}
  touchpoint_code: {value: web}
  sessions: {column: visits, type: int}
"""

# Arguments (all but the actor) that the command would carry out for an actor allowed to.
ARGUMENTS: dict[str, Callable[[World], dict]] = {
    "db.users.add_user": lambda w: {
        "username": "newbie",
        "password": "long-enough",
        "role": "executive",
    },
    "db.users.set_role": lambda w: {"username": "victim", "role": "admin"},
    "db.users.set_active": lambda w: {"username": "victim", "active": False},
    "db.users.issue_api_token": lambda w: {"username": "victim"},
    "db.users.revoke_api_token": lambda w: {"username": "victim"},
    "db.users.set_password": lambda w: {"username": "victim", "password": "long-enough-2"},
    "analytics.targets.import_targets": lambda w: {"frame": pd.read_csv(w.files / "targets.csv")},
    "analytics.targets.set_target": lambda w: {
        "item": TargetInput("total", "total", "revenue", "2026-09-01", "2026-09-30", "5000")
    },
    "analytics.targets.import_target_csv": lambda w: {"content": TARGET_CSV.encode()},
    "analytics.targets.delete_targets": lambda w: {"ids": [w.target_id]},
    "analytics.alerts.rules.create_rule": lambda w: {"values": WEB_REVENUE_FLOOR},
    "analytics.alerts.rules.update_rule": lambda w: {
        "rule_id": w.alert_rule_id,
        "values": {"severity": "critical"},
    },
    "analytics.alerts.rules.set_rule_active": lambda w: {
        "rule_id": w.alert_rule_id,
        "active": False,
    },
    "analytics.alerts.workflow.acknowledge": lambda w: {"alert_id": w.alert_id},
    "analytics.alerts.workflow.submit_root_cause": lambda w: {
        "alert_id": w.alert_id,
        "category": "stock_out",
        "text": "The store ran out of the best seller",
        "corrective_action": "Reorder earlier",
    },
    "analytics.alerts.workflow.resolve": lambda w: {"alert_id": w.alert_id},
    "ingestion.rules.add_rule": lambda w: {
        "priority": 5,
        "source_system": "shopify",
        "field": "source_name",
        "operator": "equals",
        "value": "pos",
        "touchpoint": "physical_store",
    },
    "ingestion.rules.edit_rule": lambda w: {"rule_id": w.channel_rule_id, "priority": 99},
    "ingestion.rules.set_rule_active": lambda w: {"rule_id": w.channel_rule_id, "active": False},
    "ingestion.remap.remap": lambda w: {},
    "ingestion.sources.add_source": lambda w: {
        "name": "pos",
        "kind": "square",
        "instance": "retail",
        "base_url": "https://connect.squareup.com/",
    },
    "ingestion.sources.edit_source": lambda w: {
        "name": "shop",
        "changes": {"poll_interval_seconds": 600},
    },
    "ingestion.sources.set_source_enabled": lambda w: {"name": "shop", "enabled": False},
    "ingestion.sources.request_sync": lambda w: {"name": "shop"},
    "ingestion.quarantine.replay": lambda w: {"ids": [w.reject_id]},
    "ingestion.saved_mappings.save_mapping": lambda w: {"name": "visits", "yaml_text": MAPPING},
    "ingestion.saved_mappings.delete_mapping": lambda w: {"name": "visits"},
    "ingestion.saved_mappings.get_mapping": lambda w: {"name": "visits"},
    "ingestion.uploads.request_upload": lambda w: {
        "data": b"day,visits\n2026-06-01,120\n",
        "yaml_text": MAPPING,
        "source": "counter",
        "file_name": "visits.csv",
    },
    "ingestion.quarantine.discard": lambda w: {"ids": [w.reject_id], "reason": "sent again"},
    "ingestion.reference_files.load_rates_file": lambda w: {"path": w.files / "rates.csv"},
    "ingestion.reference_files.load_region_file": lambda w: {"path": w.files / "regions.csv"},
    "analytics.reports.schedule.set_schedule": lambda w: {
        "weekday": 0,
        "hour": 7,
        "recipients": "ceo@example.com",
    },
    "analytics.allocation.apply_plan": lambda w: {"plan": _plan()},
    "analytics.budget.plans.apply_budget_plan": lambda w: {"allocation": _allocation()},
    "forecasting.jobs.promote_version": lambda w: {
        "unique_id": "category:ecommerce:orders",
        "version": "2",
    },
    "forecasting.jobs.rollback_champion": lambda w: {"unique_id": "category:ecommerce:orders"},
    "forecasting.retraining.start_training": lambda w: {"groups": ["orders"]},
    "analytics.taxonomy.add_category": lambda w: {"code": "agents", "name": "Travel agents"},
    "analytics.taxonomy.add_touchpoint": lambda w: {
        "code": "agent_desk",
        "name": "Agent desk",
        "category": "wholesale",
    },
    "analytics.taxonomy.rename_channel": lambda w: {"code": "web", "name": "Website"},
    "analytics.taxonomy.retire_channel": lambda w: {"code": "direct_sales", "kind": "category"},
    "analytics.taxonomy.restore_channel": lambda w: {"code": "web"},
    "analytics.taxonomy.delete_channel": lambda w: {"code": "call_center"},
    "analytics.channel_move.move_touchpoint": lambda w: {
        "code": "marketplace",
        "category": "wholesale",
    },
}


def arguments(name: str, world: World) -> dict:
    if name in ARGUMENTS:
        return ARGUMENTS[name](world)
    return {
        p.name: None
        for p in inspect.signature(COMMANDS[name]).parameters.values()
        if p.name != "actor"
        and p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def below(role: str) -> tuple[str, ...]:
    return ROLES[: ROLES.index(role)]


SWEEP = [
    (name, role)
    for name, function in COMMANDS.items()
    for role in below(MINIMUM.get(name) or required_role(function))
]


@pytest.mark.postgres
@pytest.mark.parametrize(("name", "role"), SWEEP, ids=[f"{n}-as-{r}" for n, r in SWEEP])
def test_a_role_below_the_minimum_is_refused_before_anything_is_read_or_written(
    command_world, name, role
):
    before = database_state(command_world.url)
    with pytest.raises(PermissionDenied, match=f"the {role} role may not"):
        COMMANDS[name](**arguments(name, command_world), actor=Actor(f"{role}-user", role))
    assert changed_tables(before, database_state(command_world.url)) == []


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_plain_string_actor_fails_loudly_and_writes_nothing(command_world, name):
    before = database_state(command_world.url)
    with pytest.raises((AttributeError, TypeError), match="require|Actor"):
        COMMANDS[name](**arguments(name, command_world), actor="admin")
    assert changed_tables(before, database_state(command_world.url)) == []


POSITIVE = {
    "db.users.add_user": "user.add",
    "db.users.set_password": "user.set_password",
    "analytics.alerts.workflow.acknowledge": "alert.acknowledge",
    "ingestion.rules.add_rule": "channel_rule.add",
    "ingestion.saved_mappings.save_mapping": "file_mapping.save",
    "ingestion.uploads.request_upload": "file.upload",
    "analytics.reports.schedule.set_schedule": "report.schedule",
    "analytics.budget.plans.apply_budget_plan": "budget.apply",
    "analytics.taxonomy.add_category": "channel.add_category",
    "analytics.channel_move.move_touchpoint": "channel.move",
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_the_minimum_role_may_and_is_audited_by_name(command_world, name):
    role = MINIMUM[name]
    actor = Actor(f"{role}-user", role)
    COMMANDS[name](**arguments(name, command_world), actor=actor)
    table = AuditLog.__table__
    with get_engine(command_world.url).connect() as conn:
        last = conn.execute(select(table).order_by(table.c.id.desc()).limit(1)).mappings().one()
    assert (last["actor"], last["action"]) == (actor.name, POSITIVE[name])


def test_an_actor_needs_a_known_role_and_a_name():
    with pytest.raises(ValueError, match="unknown role 'root'"):
        Actor("mallory", "root")
    with pytest.raises(ValueError, match="unknown role None"):
        Actor("anonymous", None)
    with pytest.raises(TypeError, match="needs a name"):
        Actor("", "admin")
    assert system() == Actor("cli", "admin") and system("scheduler").role == "admin"
