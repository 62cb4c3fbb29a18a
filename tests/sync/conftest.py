"""Fixtures for sync tests: a configured Shopify source backed by a fake shop."""

from __future__ import annotations

import pytest

from db.roles import system
from ingestion.sources import add_source
from tests.sync.shop import TOKEN
from tests.sync.shop import TOKEN_ENV
from tests.sync.shop import FakeShop

SOURCE = "shop"
HOOK_SECRET_ENV = "CP_SYNC_TEST_SHOP_HOOK_SECRET"
HOOK_SECRET = "whsec-test-secret"


@pytest.fixture
def shop_source(pg_url, httpserver, monkeypatch):
    """Add the ``shop`` source pointing at the local server; returns a function serving orders."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(HOOK_SECRET_ENV, HOOK_SECRET)
    add_source(
        SOURCE,
        "shopify",
        "main-store",
        httpserver.url_for("/"),
        secret_env=TOKEN_ENV,
        webhook_secret_env=HOOK_SECRET_ENV,
        poll_interval_seconds=5,
        options={"lookback_minutes": 60},
        actor=system(),
    )

    def serve(orders: list[dict], **options) -> FakeShop:
        httpserver.clear()
        shop = FakeShop(orders, **options)
        httpserver.expect_request("/admin/api/2024-10/orders.json").respond_with_handler(shop)
        return shop

    return serve
