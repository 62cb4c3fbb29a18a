"""A small demo data set loaded with a non-UTC reporting time zone, plus users with API tokens.

Session-shared and read-only for the tests (they may add users' tokens only
through the fixture); the cache test writes to its own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from db.migrate import upgrade
from db.roles import system
from db.settings import get_settings
from tests.conftest import DemoData
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.conftest import load_demo

REPORTING_TZ = "America/New_York"
API_ORDERS = 3000
API_SEED = 23
USERS = {
    "exec-api": "executive",
    "planner-api": "planner",
    "gone-api": "executive",
    "admin-api": "admin",
}


@dataclass
class ApiData:
    demo: DemoData
    tokens: dict[str, str]  # username -> token

    @property
    def url(self) -> str:
        return self.demo.url


@pytest.fixture(scope="session")
def api_db() -> Iterator[ApiData]:
    from db.users import add_user
    from db.users import issue_api_token
    from db.users import set_active

    with pytest.MonkeyPatch.context() as patch:
        url = create_database("cp_api")
        patch.setenv("CHANNELPERF_DATABASE_URL", url)
        patch.setenv("CHANNELPERF_REPORTING_TZ", REPORTING_TZ)
        get_settings.cache_clear()
        upgrade(url)
        demo = load_demo(url, n_orders=API_ORDERS, seed=API_SEED)
        tokens = {}
        for username, role in USERS.items():
            add_user(username, f"{username}-password", role, actor=system("tests"))
            tokens[username] = issue_api_token(username, actor=system("tests"))
        set_active("gone-api", False, actor=system("tests"))
    get_settings.cache_clear()
    yield ApiData(demo, tokens)
    drop_database(url)


@pytest.fixture(scope="session")
def api_app(api_db):
    """One app for the session; each test points the settings at the API database first."""
    from dashapp.app import create_app

    return create_app().server


@pytest.fixture
def api(api_db, api_app, use_database):
    use_database(api_db.url, reporting_tz=REPORTING_TZ)
    return api_app.test_client()


def bearer(api_db: ApiData, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_db.tokens[username]}"}
