"""User text is shown as it is, and bad input (a bad database URL or setting, an unknown
revision, an output path that cannot be written, a day out of range, an unknown source, an
explicit zero, a channel bounded twice) ends in one line on stderr with exit code 2."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

import cli.worker
from cli.main import app
from db.settings import get_settings
from ingestion.quarantine import list_rejects
from ingestion.queues import INGEST_QUEUE
from tests.command_world import database_state

runner = CliRunner()
MARKUP = "[/x]"
ORDERS_MAPPING = """\
kind: orders
format: csv
delimiter: ','
fields:
  ordered_at: {column: created, type: datetime, format: '%Y-%m-%d', timezone: UTC}
  source_system: {value: export}
  source_instance: {value: default}
  source_order_id: order_id
  total: {column: total, type: decimal}
  currency: {value: USD}
  status: {value: completed}
touchpoint_fields:
  channel: channel
"""


def run(*args: str):
    return runner.invoke(app, list(args))


def shown(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_refused(result, says: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_markup_like_user_text_is_stored_and_listed_as_it_is(pg_url, tmp_path):
    name = f"{MARKUP}Oops"
    assert name in shown("channels", "add-category", "audit_cat", "--name", name)
    shown("channels", "add", "audit_tp", "--name", MARKUP, "--category", "audit_cat")
    shown(
        "rules", "add", "--priority", "5", "--field", "channel", "--value", MARKUP,
        "--touchpoint", "audit_tp",
    )  # fmt: skip
    shown(
        "sources", "add", "s2", "--kind", "shopify", "--instance", MARKUP,
        "--base-url", "https://x.example.com", "--disabled",
    )  # fmt: skip
    added = shown(
        "alerts", "rules", "add", "--name", MARKUP, "--kind", "threshold",
        "--direction", "above", "--threshold", "5",
    )  # fmt: skip
    rule_id = added.split()[2].rstrip(":")
    export = tmp_path / "orders.csv"
    export.write_text(f"order_id,created,channel,total\nA-1,2024-06-03,web,10\nB,{MARKUP},web,5\n")
    mapping = tmp_path / "orders.yml"
    mapping.write_text(ORDERS_MAPPING)
    assert "1 rejected" in shown("ingest", "file", "--mapping", str(mapping), str(export))

    assert name in shown("channels", "list")
    assert name in shown("audit", "list")
    assert MARKUP in shown("rules", "list")
    assert MARKUP in shown("sources", "list")
    assert MARKUP in shown("alerts", "rules", "list")
    assert MARKUP in shown("alerts", "rules", "disable", rule_id)
    assert MARKUP in shown("rejects", "list")
    (reject,) = list_rejects("quarantined", None, 10)
    shows = " ".join(shown("rejects", "show", str(reject.id)).split())
    assert f"'{MARKUP}' is not a timestamp" in shows


@pytest.fixture
def setting(monkeypatch):
    def put(variable: str, value: str) -> None:
        monkeypatch.setenv(variable, value)
        get_settings.cache_clear()

    yield put
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:5432/cp_no_such_db",
            "cannot connect to the database postgresql+psycopg://postgres:***@127.0.0.1:5432/"
            'cp_no_such_db: connection failed: connection to server at "127.0.0.1", port 5432 '
            'failed: FATAL: database "cp_no_such_db" does not exist',
        ),
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", "port 1 failed: Connection refused"),
        ("garbage://x", "CHANNELPERF_DATABASE_URL: unknown database kind 'garbage'"),
        ("", "CHANNELPERF_DATABASE_URL: not a URL like postgresql+psycopg://user@host/name"),
    ],
)
@pytest.mark.parametrize("command", [("users", "list"), ("db", "upgrade")])
def test_a_bad_database_url_is_one_line_without_the_password(setting, url, says, command):
    setting("CHANNELPERF_DATABASE_URL", url)
    result = run(*command)
    assert_refused(result, says)
    assert "s3cret" not in result.output


def test_an_unknown_base_currency_is_a_configuration_error(setting):
    setting("CHANNELPERF_BASE_CURRENCY", "ZZZ")
    assert_refused(run("users", "list"), "CHANNELPERF_BASE_CURRENCY: base currency 'ZZZ' is not")


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_unknown_revision_is_refused(pg_url, command):
    assert_refused(run("db", command, "nosuchrev"), "Can't locate revision identified by")


def test_output_paths_that_cannot_be_written_are_refused_before_the_work(pg_url, tmp_path):
    missing = tmp_path / "nowhere" / "x.pdf"
    assert_refused(run("reports", "download", "-o", str(missing)), "no such directory")
    assert_refused(run("reports", "download", "-o", str(tmp_path)), "is a directory")
    csv = tmp_path / "nowhere" / "x.csv"
    assert_refused(run("audit", "list", "--csv", str(csv)), "no such directory")
    assert not list(tmp_path.iterdir())
    shown("channels", "add-category", "audit_cat", "--name", "Audit")
    csv = tmp_path / "audit.csv"
    assert "Wrote 1 entries" in shown("audit", "list", "--csv", str(csv))
    assert csv.read_text().startswith("id,at,actor,action,")


def test_sending_without_a_mail_server_is_refused(pg_url, monkeypatch):
    monkeypatch.delenv("CHANNELPERF_SMTP_HOST", raising=False)
    result = run("reports", "send", "--to", "a@example.com")
    assert_refused(result, "no SMTP server configured: set CHANNELPERF_SMTP_HOST")


@pytest.mark.parametrize("command", [("serve",), ("mlflow-ui",)])
def test_a_port_out_of_range_is_refused(command):
    assert_refused(run(*command, "--port", "99999"), "--port must be from 1 to 65535, got 99999")


@pytest.mark.parametrize(
    "args",
    [
        ("alerts", "evaluate", "--at", "0001-01-01"),
        ("reports", "download", "--week-end", "0001-01-01"),
        ("validate", "--day", "9999-12-29"),
        ("audit", "list", "--since", "2200-01-01"),
    ],
)
def test_days_outside_the_supported_range_are_refused(pg_url, args):
    option, day = args[-2:]
    says = f"{option} {day} is outside the days the analyses handle (1900-01-01 – 2199-12-31)"
    assert_refused(run(*args), says)


@pytest.fixture
def worker_runs(monkeypatch) -> list[dict]:
    """The ingest worker's runs, recorded instead of polling until stopped."""
    runs: list[dict] = []
    monkeypatch.setattr(cli.worker, "run_worker", lambda **options: runs.append(options))
    return runs


def test_the_ingest_worker_refuses_an_unknown_source_and_a_negative_tick(pg_url, worker_runs):
    shown("sources", "add", "shop", "--kind", "shopify", "--instance", "main",
          "--base-url", "https://x.example.com", "--disabled")  # fmt: skip
    assert_refused(run("worker", "ingest", "--source", "shop", "--source", "nosuch"), "nosuch")
    assert_refused(run("worker", "ingest", "--tick", "-1"), "--tick must be 0 or more seconds")
    assert worker_runs == []
    shown("worker", "ingest", "--source", "shop", "--tick", "0")
    assert worker_runs == [{"queue": INGEST_QUEUE, "tick": 0.0, "sources": ["shop"]}]


@pytest.mark.parametrize(
    ("option", "says"),
    [("--k", "params.k must be a number from 0.5"), ("--max-anoms", "params.max_anoms must be")],
)
def test_an_explicit_zero_band_parameter_is_judged_not_dropped(pg_url, option, says):
    args = ("alerts", "rules", "add", "--name", "band", "--kind", "band", option, "0")
    assert_refused(run(*args), says)
    assert "band" not in shown("alerts", "rules", "list", "--all")


@pytest.mark.parametrize("option", ["--min", "--max"])
def test_a_budget_bound_given_twice_for_one_channel_is_refused(pg_url, option):
    result = run("budget", "--total", "100", option, "web=5", option, "web=6", "--format", "csv")
    assert_refused(result, f"{option} names 'web' twice")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("alerts", "evaluate", "--at", "{tomorrow}"), "is not over yet"),
        (("validate", "--day", "{tomorrow}"), "is not over yet"),
        (("reports", "download", "--week-end", "{tomorrow}"), "is not over yet"),
        (("demo-data", "--orders", "1000", "--end", "{tomorrow}"), "is not over yet"),
    ],
)
def test_a_day_not_over_yet_is_refused_and_changes_nothing(pg_url, tmp_path, args, says):
    tomorrow = (get_settings().last_day_over() + dt.timedelta(days=2)).isoformat()
    before = database_state(pg_url)
    assert_refused(run(*(a.format(tomorrow=tomorrow) for a in args)), says)
    assert database_state(pg_url) == before


def test_a_draft_mapping_to_a_folder_that_does_not_exist_is_refused(tmp_path):
    export = tmp_path / "orders.csv"
    export.write_text("order_id,total\nA1,10\n")
    target = tmp_path / "missing" / "orders.yml"
    says = f"--output {target}: no such directory"
    assert_refused(
        run("mapping", "suggest", str(export), "--kind", "orders", "--output", str(target)), says
    )
    assert not target.parent.exists()
