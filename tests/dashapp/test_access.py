"""Sign-in and the role guard, through the real Flask app: pages and callbacks refused with 403."""

from __future__ import annotations

import json

import dash
import pytest

from dashapp.access import ROLE_ORDER, page_for_component
from dashapp.app import create_app
from db.users import add_user

pytestmark = pytest.mark.postgres
PASSWORD = "correct-horse"
DASH_INTERNAL = {"_pages_content", "_pages_store", "_pages_dummy"}


@pytest.fixture
def app(pg_url, use_database):
    use_database(pg_url, login_rate_limit="3 per minute")
    for role in ROLE_ORDER:
        add_user(f"user-{role.replace('_', '-')}", PASSWORD, role)
    application = create_app()
    application.server.config["TESTING"] = True
    return application


def client_for(app, role: str | None):
    client = app.server.test_client()
    if role:
        response = client.post(
            "/login", data={"username": f"user-{role.replace('_', '-')}", "password": PASSWORD}
        )
        assert response.status_code == 302
    return client


def registered_pages() -> list[dict]:
    return [p for p in dash.page_registry.values() if "id_prefix" in p]


def output_ids(callback_key: str) -> list[str]:
    parts = [p for p in callback_key.strip(".").split("...") if p]
    ids = []
    for part in parts:
        component = part.rsplit(".", 1)[0].strip(".")
        ids.append(json.loads(component) if component.startswith("{") else component)
    return ids


def test_signed_out_requests_go_to_sign_in(app):
    client = app.server.test_client()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_every_role_gets_exactly_its_pages(app):
    client_for(app, "admin").get("/")  # first request: Dash imports the pages
    pages = registered_pages()
    assert {p["path"] for p in pages} >= {"/", "/admin/users"}
    for role in ROLE_ORDER:
        client = client_for(app, role)
        for page in pages:
            status = client.get(page["path"]).status_code
            expected = 200 if role in page["roles"] else 403
            assert status == expected, (role, page["path"], status)


def test_callbacks_of_a_forbidden_page_are_refused_before_they_run(app):
    client_for(app, "admin").get("/")
    refused = 0
    for key in app.callback_map:
        ids = output_ids(key)
        pages = {page_for_component(i)["path"] for i in ids if i not in DASH_INTERNAL}
        if len(pages) != 1:
            continue
        path = pages.pop()
        page = next(p for p in registered_pages() if p["path"] == path)
        body = {
            "output": key,
            "outputs": [{"id": i, "property": "children"} for i in ids],
            "inputs": [],
            "changedPropIds": [],
        }
        for role in ROLE_ORDER:
            if role not in page["roles"]:
                response = client_for(app, role).post("/_dash-update-component", json=body)
                assert response.status_code == 403, (role, key)
                refused += 1
    assert refused > 0


def test_every_callback_output_belongs_to_a_registered_page(app):
    """One mechanism: no callback can escape the guard by using an unregistered id."""
    client_for(app, "admin").get("/")
    for key in app.callback_map:
        for component in output_ids(key):
            if component in DASH_INTERNAL:
                continue
            assert page_for_component(component) is not None, component


def test_the_page_router_refuses_a_forbidden_path(app):
    client = client_for(app, "executive")
    client.get("/")
    body = {
        "output": "..._pages_content.children..._pages_store.data...",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/admin/users"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    assert client.post("/_dash-update-component", json=body).status_code == 403


def test_wrong_passwords_are_rate_limited_but_good_ones_are_not_counted(app):
    client = app.server.test_client()
    for _ in range(3):
        ok = client.post("/login", data={"username": "user-planner", "password": PASSWORD})
        assert ok.status_code == 302
    for _ in range(3):
        bad = client.post("/login", data={"username": "user-planner", "password": "nope"})
        assert bad.status_code == 401
    blocked = client.post("/login", data={"username": "user-planner", "password": PASSWORD})
    assert blocked.status_code == 429
    assert b"Too many sign-in attempts" in blocked.data


def test_session_cookie_is_http_only_and_same_site(app):
    response = app.server.test_client().post(
        "/login", data={"username": "user-executive", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session_and_next_is_not_an_open_redirect(app):
    client = app.server.test_client()
    response = client.post(
        "/login",
        data={"username": "user-executive", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.get("/logout")
    assert client.get("/").status_code == 302


def test_a_disabled_user_loses_access_at_once(app):
    from db.users import set_active

    client = client_for(app, "planner")
    assert client.get("/").status_code == 200
    set_active("user-planner", False)
    assert client.get("/").status_code == 302
