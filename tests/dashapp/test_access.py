"""Sign-in, sessions and the page matrix, through the real Flask app."""

from __future__ import annotations

import datetime as dt

import dash
import pytest
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy import update

from dashapp.access import ROLE_ORDER
from dashapp.auth import SessionUser
from db.engine import session_scope
from db.roles import system
from db.schema import AuditLog
from db.schema import UserSession
from db.users import UserInfo
from db.users import set_active
from db.users import set_password
from db.users import set_role
from tests.dashapp.conftest import PASSWORD
from tests.dashapp.conftest import username_of
from tests.signin import ORIGIN
from tests.signin import form_token
from tests.signin import post_callback
from tests.signin import sign_in_client
from tests.signin import sign_out

pytestmark = pytest.mark.postgres
ROUTER = ".._pages_content.children..._pages_store.data.."
NO_ACCESS = "You don't have access to this page"


def registered_pages() -> list[dict]:
    return [p for p in dash.page_registry.values() if "id_prefix" in p]


def router_body(path: str, search: str = "") -> dict:
    return {
        "output": ROUTER,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }


def test_signed_out_requests_go_to_sign_in(app):
    client = app.server.test_client()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert post_callback(client, {}).status_code == 401


def test_every_role_gets_exactly_its_pages_and_a_framed_no_access_page(app, client_for):
    pages = registered_pages()
    assert {p["path"] for p in pages} >= {"/", "/admin/users"}
    for role in ROLE_ORDER:
        client = client_for(role)
        for page in pages:
            response = client.get(page["path"])
            expected = 200 if role in page["roles"] else 403
            assert response.status_code == expected, (role, page["path"])
            # Either way it is the app's own frame (HTML), never a bare JSON error.
            assert response.mimetype == "text/html"


def test_an_alert_id_wider_than_any_row_opens_the_alerts_page_with_none_chosen(app, client_for):
    answer = post_callback(client_for("executive"), router_body("/alerts", "?alert=" + "9" * 23))
    assert answer.status_code == 200
    assert '"id":"alerts-current"' in answer.get_data(as_text=True).replace(" ", "")


def test_the_router_shows_no_access_and_none_of_the_page(app, client_for):
    executive = client_for("executive")
    answer = post_callback(executive, router_body("/admin/users")).get_data(as_text=True)
    assert NO_ACCESS in answer
    assert username_of("admin") not in answer and "admin-users" not in answer
    admin_answer = post_callback(client_for("admin"), router_body("/admin/users"))
    assert "admin-users" in admin_answer.get_data(as_text=True)


def _layout_as(app, page: dict, role: str) -> str:
    with app.server.test_request_context(page["path"]):
        login_user(SessionUser(UserInfo(1, username_of(role), role, True, None)))
        return str(page["layout"]())


def test_every_page_layout_checks_the_role_again(app):
    """The second wall: a page's layout builder itself refuses a role that may not open it."""
    refused = 0
    for page in registered_pages():
        for role in ROLE_ORDER:
            if role not in page["roles"]:
                assert NO_ACCESS in _layout_as(app, page, role), (role, page["path"])
                refused += 1
    assert refused > 10
    users_page = next(p for p in registered_pages() if p["path"] == "/admin/users")
    assert NO_ACCESS not in _layout_as(app, users_page, "admin")


def test_wrong_passwords_are_limited_per_user_across_addresses(app):
    """Three failures for one username from three addresses lock that username everywhere."""
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        client = app.server.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        assert sign_in_client(client, username_of("planner"), "nope").status_code == 401
    other = app.server.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    blocked = sign_in_client(other, username_of("planner"), PASSWORD)
    assert blocked.status_code == 429 and b"Too many sign-in attempts" in blocked.data
    # Another user from a fresh address is not affected; good passwords are never counted.
    assert sign_in_client(other, username_of("executive"), PASSWORD).status_code == 302
    with session_scope() as session:
        lockouts = session.scalars(
            select(AuditLog.entity_id).where(AuditLog.action == "auth.lockout")
        ).all()
    assert lockouts == [username_of("planner")]


def test_wrong_passwords_are_limited_per_address_across_users(app):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    for role in ("planner", "executive", "admin"):
        assert sign_in_client(client, username_of(role), "nope").status_code == 401
    assert sign_in_client(client, username_of("data_scientist"), PASSWORD).status_code == 429


def test_session_cookie_is_http_only_and_same_site(app):
    client = app.server.test_client()
    response = sign_in_client(client, username_of("executive"), PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_is_not_an_open_redirect(app):
    client = app.server.test_client()
    response = sign_in_client(client, username_of("executive"), PASSWORD, next="//evil.example/x")
    assert response.headers["Location"] == "/"


def test_a_cookie_kept_from_before_sign_out_opens_nothing(app, client_for):
    client = client_for("executive")
    kept = client.get_cookie("session")
    assert client.get("/").status_code == 200
    assert sign_out(client).status_code == 302
    replay = app.server.test_client()
    replay.set_cookie("session", kept.value)
    assert replay.get("/").status_code == 302
    assert post_callback(replay, router_body("/")).status_code == 401


def test_sign_out_is_a_post_with_a_token(app, client_for):
    client = client_for("executive")
    assert client.get("/logout").status_code == 200  # a confirmation form, not a sign-out
    assert client.get("/").status_code == 200
    assert client.post("/logout", headers=ORIGIN).status_code == 400  # no token
    assert client.get("/").status_code == 200
    assert sign_out(client).status_code == 302
    assert client.get("/").status_code == 302


def test_a_disabled_user_and_a_role_change_take_effect_at_once(app, client_for):
    planner, executive = client_for("planner"), client_for("executive")
    assert planner.get("/forecasts").status_code == 200
    set_active(username_of("planner"), False, system())
    assert planner.get("/").status_code == 302
    assert executive.get("/").status_code == 200
    set_role(username_of("executive"), "planner", system())
    assert executive.get("/").status_code == 302  # signed out: the new role needs a new sign-in
    again = client_for("executive")  # signs in as user-executive, now a planner
    assert again.get("/forecasts").status_code == 200


def test_a_password_reset_ends_every_session_of_the_user(app, client_for):
    laptop, phone, other = client_for("planner"), client_for("planner"), client_for("executive")
    set_password(username_of("planner"), "a-new-password", system())
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert other.get("/").status_code == 200
    with session_scope() as session:
        assert session.scalars(select(UserSession.end_reason)).all().count("password_reset") == 2
    fresh = app.server.test_client()
    assert sign_in_client(fresh, username_of("planner"), PASSWORD).status_code != 302
    assert sign_in_client(fresh, username_of("planner"), "a-new-password").status_code == 302
    assert fresh.get("/forecasts").status_code == 200


def _age_sessions(**delta) -> None:
    with session_scope() as session:
        session.execute(
            update(UserSession).values(
                created_at=UserSession.created_at - dt.timedelta(**delta),
                last_seen_at=UserSession.last_seen_at - dt.timedelta(**delta),
            )
        )


def test_idle_sessions_end_after_the_idle_timeout(app, client_for):
    client = client_for("executive")
    _age_sessions(minutes=29)
    assert client.get("/").status_code == 200  # touched: idle time starts again
    _age_sessions(minutes=31)
    assert client.get("/").status_code == 302
    with session_scope() as session:
        assert session.scalar(select(UserSession.end_reason)) == "idle"


def test_sessions_end_after_their_lifetime_even_when_active(app, client_for):
    client = client_for("executive")
    with session_scope() as session:
        session.execute(
            update(UserSession).values(created_at=UserSession.created_at - dt.timedelta(hours=13))
        )
    assert client.get("/").status_code == 302


def test_sign_in_refuses_a_missing_token_and_a_foreign_origin(app):
    client = app.server.test_client()
    form = {"username": username_of("admin"), "password": PASSWORD}
    no_token = client.post("/login", data=form, headers=ORIGIN)
    assert no_token.status_code == 400 and b"sign in again" in no_token.data
    token = form_token(client)
    foreign = client.post(
        "/login", data={**form, "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.get("/").status_code == 302  # neither signed anyone in
