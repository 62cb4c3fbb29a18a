"""The app served on the shared demo database with the demo logins, for the pages' browser tests."""

from __future__ import annotations

import os

import pytest

from db.settings import get_settings
from db.users import ensure_demo_users
from tests.browser import served_app


@pytest.fixture(scope="session")
def demo_site(demo_db):
    """``(base URL, {username: password})`` of one server for every browser test of the pages."""
    previous = os.environ.get("CHANNELPERF_DATABASE_URL")
    os.environ["CHANNELPERF_DATABASE_URL"] = demo_db.url
    get_settings.cache_clear()
    try:
        logins = {u: p for u, p, _ in ensure_demo_users()}
    finally:
        if previous is None:
            os.environ.pop("CHANNELPERF_DATABASE_URL", None)
        else:
            os.environ["CHANNELPERF_DATABASE_URL"] = previous
        get_settings.cache_clear()
    with served_app(demo_db.url) as base:
        yield base, logins
