"""The app is ready before its first request: gunicorn's threads serve several requests of a
fresh worker at once, and a request arriving while Dash still set itself up found no scripts
registered (a 500 for a page's JavaScript, a blank page) and could fix the CSP without the
router's hash."""

from __future__ import annotations

import re
import threading

import pytest

from dashapp.app import create_app
from db.roles import system
from db.users import add_user
from tests.signin import sign_in_client

pytestmark = pytest.mark.postgres

SCRIPT = re.compile(r'<script src="(/_dash-component-suites/[^"]+)"')


def signed_in(app):
    client = app.server.test_client()
    assert sign_in_client(client, "viewer", "correct-horse").status_code == 302
    return client


def test_a_fresh_app_serves_concurrent_first_requests(pg_url, use_database):
    use_database(pg_url)
    add_user("viewer", "correct-horse", "executive", system())
    page = signed_in(create_app()).get("/")
    scripts = SCRIPT.findall(page.get_data(as_text=True))
    assert len(scripts) >= 5

    fresh = create_app()
    start = threading.Barrier(len(scripts))
    statuses: dict[str, int] = {}

    def fetch(url: str) -> None:
        client = fresh.server.test_client()
        start.wait()
        statuses[url] = client.get(url).status_code

    threads = [threading.Thread(target=fetch, args=(url,)) for url in scripts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == dict.fromkeys(scripts, 200)
    served = signed_in(fresh).get("/")
    assert served.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
