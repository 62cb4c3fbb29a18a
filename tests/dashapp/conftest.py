"""An app with one user per role, signed in through the real form."""

from __future__ import annotations

import pytest

from dashapp.access import ROLE_ORDER
from dashapp.app import create_app
from db.roles import system
from db.users import add_user
from tests.signin import sign_in_client

PASSWORD = "correct-horse"


def username_of(role: str) -> str:
    return f"user-{role.replace('_', '-')}"


@pytest.fixture
def app(pg_url, use_database):
    use_database(pg_url, login_rate_limit="3 per minute")
    for role in ROLE_ORDER:
        add_user(username_of(role), PASSWORD, role, system())
    application = create_app()
    application.server.config["TESTING"] = True
    application.server.test_client().get("/login")  # first request: Dash registers its router
    return application


@pytest.fixture
def client_for(app):
    def signed_in(role: str | None):
        client = app.server.test_client()
        if role:
            assert sign_in_client(client, username_of(role), PASSWORD).status_code == 302
        return client

    return signed_in
