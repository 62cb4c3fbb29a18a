"""The Content-Security-Policy allows no inline script but Dash's own (by hash), and every page
still works under it in Chromium: no console error, no blocked script."""

from __future__ import annotations

import pytest
import requests

from dashapp.access import pages_for
from dashapp.app import create_app
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def _policy(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_every_admin_page_renders_under_the_policy_without_console_errors(demo):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    create_app()  # registers the pages, to list them
    paths = [p["path"] for p in pages_for("admin")]
    with served_app(demo.url) as base, browser_page() as page:
        policy = _policy(
            requests.get(f"{base}/login", timeout=10).headers["Content-Security-Policy"]
        )
        assert policy["script-src"][0] == "'self'"
        assert all(s.startswith("'sha256-") for s in policy["script-src"][1:])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, "admin", logins["admin"])
        for path in paths:
            page.goto(f"{base}{path}")
            page.wait_for_selector("#_pages_content > *", timeout=60_000)
            settle(page)
            assert not errors, (path, errors)
        assert len(paths) >= 15
