"""A token issued again or revoked is refused by the API at its next request."""

from __future__ import annotations

import pytest

from dashapp.app import create_app
from db.roles import system
from db.users import add_user
from db.users import issue_api_token
from db.users import revoke_api_token

pytestmark = pytest.mark.postgres

QUERY = {"metric": "revenue", "by": "channel", "start": "2025-01-01", "end": "2025-01-31"}


def test_a_replaced_or_revoked_token_is_refused(pg_url):
    admin = system("tests")
    add_user("robot", "robot-password", "planner", admin)
    api = create_app().server.test_client()

    def status(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return api.get("/api/v1/metrics", query_string=QUERY, headers=headers).status_code

    first = issue_api_token("robot", admin)
    assert status(first) == 200
    second = issue_api_token("robot", admin)
    assert (status(first), status(second)) == (401, 200)
    revoke_api_token("robot", admin)
    assert status(second) == 401
