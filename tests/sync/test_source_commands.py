"""Adding and editing sources: every bad setting refused with its reason and nothing written,
changes audited with before and after, the same through ``channelperf sources edit``; ``sources
list`` says what waits for the ingest worker."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from db.engine import get_engine
from db.errors import CommandError
from db.ingestion_tables import Source
from db.jobs import get_queue
from db.roles import Actor
from db.roles import PermissionDenied
from db.schema import AuditLog
from ingestion.queues import INGEST_QUEUE
from ingestion.queues import source_queue
from ingestion.sources import add_source
from ingestion.sources import edit_source
from ingestion.sources import find_source
from ingestion.sources import request_sync
from ingestion.sources import set_source_enabled
from ingestion.sync.pushes import PUSH_JOB
from tests.sync.shop import add_shop_source

pytestmark = pytest.mark.postgres
runner = CliRunner()
ADMIN = Actor("ada", "admin")


def _sources() -> list[tuple]:
    source = Source.__table__
    with get_engine().connect() as conn:
        return [tuple(r) for r in conn.execute(select(source).order_by(source.c.id))]


def _audit() -> list[tuple]:
    with get_engine().connect() as conn:
        query = select(AuditLog.actor, AuditLog.action, AuditLog.before, AuditLog.after)
        return [tuple(r) for r in conn.execute(query.order_by(AuditLog.id))]


@pytest.fixture
def shop(pg_url):
    add_shop_source(options={"lookback_minutes": 30})
    return pg_url


def test_edit_changes_only_what_is_given_and_audits_before_and_after(shop):
    edited = edit_source(
        "shop",
        {"base_url": " https://eu.shop.example.com/ ", "poll_interval_seconds": 900},
        actor=ADMIN,
    )
    assert (edited.base_url, edited.poll_interval_seconds) == ("https://eu.shop.example.com/", 900)
    assert (edited.kind, edited.instance, edited.secret_env) == (
        "shopify",
        "main-store",
        "SHOP_TOKEN",
    )
    assert edited.options == {"lookback_minutes": 30} and edited == find_source("shop")
    assert _audit()[-1] == (
        "ada",
        "source.edit",
        {"base_url": "https://shop.example.com/", "poll_interval_seconds": 300},
        {"base_url": "https://eu.shop.example.com/", "poll_interval_seconds": 900},
    )
    entries = len(_audit())
    assert edit_source("shop", {"poll_interval_seconds": 900}, actor=ADMIN) == edited
    assert len(_audit()) == entries  # nothing changed, nothing audited
    cleared = edit_source("shop", {"secret_env": "  "}, actor=ADMIN)
    assert cleared.secret_env is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": "woocommerce"}, "kind 'woocommerce' is not one of shopify"),
        ({"base_url": "shop.example.com"}, "is not an http:// or https:// address"),
        ({"base_url": "ftp://shop.example.com/"}, "is not an http:// or https:// address"),
        ({"secret_env": "shpat_0123456789abcdef"}, "must be the NAME of an environment variable"),
        ({"webhook_secret_env": "MY-SECRET"}, "must be the NAME of an environment variable"),
        ({"poll_interval_seconds": 4}, "between 5 and 604800 seconds"),
        ({"poll_interval_seconds": 604_801}, "between 5 and 604800 seconds"),
        ({"poll_interval_seconds": 60.5}, "whole number of seconds"),
        ({"instance": "  "}, "needs its instance name"),
        ({"name": "other"}, "no editable setting name"),
        # A valid change with a bad one: nothing of either is written.
        ({"poll_interval_seconds": 60, "base_url": "nonsense"}, "not an http:// or https://"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(shop, changes, reason):
    before, audit_before = _sources(), _audit()
    with pytest.raises(CommandError, match=reason):
        edit_source("shop", changes, actor=ADMIN)
    assert _sources() == before and _audit() == audit_before


def test_add_applies_the_same_checks(shop):
    before = _sources()
    for kwargs, reason in (
        ({"kind": "nosuch"}, "is not one of"),
        ({"base_url": "not a url"}, "not an http"),
        ({"poll_interval_seconds": 1}, "between 5 and"),
        ({"secret_env": "lower_case"}, "NAME of an environment variable"),
    ):
        values = {"kind": "square", "instance": "retail", **kwargs}
        with pytest.raises(CommandError, match=reason):
            add_source("pos", values.pop("kind"), values.pop("instance"), **values, actor=ADMIN)
    assert _sources() == before
    # A file source's base URL is its drop directory, not a web address.
    drops = add_source("drops", "file", "exports", "/srv/drops", actor=ADMIN)
    assert drops.base_url == "/srv/drops"


def test_edit_is_for_admins_only(shop):
    before = _sources()
    with pytest.raises(PermissionDenied):
        edit_source("shop", {"poll_interval_seconds": 60}, actor=Actor("pat", "data_scientist"))
    assert _sources() == before
    with pytest.raises(CommandError, match="no source named 'nope'"):
        edit_source("nope", {"poll_interval_seconds": 60}, actor=ADMIN)


def test_cli_edit_changes_the_given_options_and_refuses_bad_ones_with_exit_2(shop):
    result = runner.invoke(
        app,
        ["sources", "edit", "shop", "--interval", "120", "--webhook-secret-env", "SHOP_HOOK"],
    )
    assert result.exit_code == 0, result.output
    assert "every 120s" in result.output
    source = find_source("shop")
    assert (source.poll_interval_seconds, source.webhook_secret_env) == (120, "SHOP_HOOK")
    assert _audit()[-1][:2] == ("cli", "source.edit")

    before = _sources()
    for args, reason in (
        (["--kind", "nosuch"], "is not one of"),
        (["--base-url", "shop"], "not an http"),
        (["--secret-env", "s3cr3t"], "NAME of an environment variable"),
        (["--interval", "3"], "between 5 and"),
        (["--options", "[1]"], "must be a JSON object"),
        (["--options", "{"], "--options is not JSON"),
        ([], "nothing to change"),
    ):
        result = runner.invoke(app, ["sources", "edit", "shop", *args])
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output and "Traceback" not in result.output
    assert _sources() == before
    result = runner.invoke(app, ["sources", "edit", "nope", "--interval", "60"])
    assert result.exit_code == 2 and "no source named 'nope'" in result.output


def test_enable_and_disable_are_audited(shop):
    assert not set_source_enabled("shop", False, actor=ADMIN).enabled
    assert set_source_enabled("shop", True, actor=ADMIN).enabled
    assert [a[1] for a in _audit()[-2:]] == ["source.disable", "source.enable"]


@pytest.mark.redis
def test_sources_list_says_what_waits_for_each_source(shop, redis_url, use_database):
    # A Redis database of its own: the CLI reads the ingest queues by their real names.
    own = redis_url.rsplit("/", 1)[0] + "/15"
    use_database(shop, redis_url=own)
    queue = get_queue(source_queue("shop"))
    queue.delete(delete_jobs=True)
    try:
        listed = runner.invoke(app, ["sources", "list"], terminal_width=200)
        assert listed.exit_code == 0 and "wait for the ingest worker" not in listed.output
        queue.enqueue(PUSH_JOB, "shop", b"{}")
        listed = runner.invoke(app, ["sources", "list"], terminal_width=200)
        assert listed.exit_code == 0
        assert "1 job waits for the ingest worker" in " ".join(listed.output.split())
        shop_row = next(line for line in listed.output.splitlines() if "shop" in line)
        assert re.search(r"│ 1 · \d+ s\s+│", shop_row), listed.output
    finally:
        queue.delete(delete_jobs=True)


@pytest.mark.redis
def test_a_requested_sync_waits_on_the_sources_own_queue(shop, redis_url, use_database):
    use_database(shop, redis_url=redis_url.rsplit("/", 1)[0] + "/15")
    queue, shared = get_queue(source_queue("shop")), get_queue(INGEST_QUEUE)
    for used in (queue, shared):
        used.delete(delete_jobs=True)
    try:
        job = request_sync("shop", ADMIN)
        assert job.queued and queue.job_ids == [job.id] and shared.count == 0
    finally:
        queue.delete(delete_jobs=True)
