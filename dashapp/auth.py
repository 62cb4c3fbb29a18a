"""Sign-in and sign-out: server-side sessions, shared failure limits, CSRF-protected forms."""

from __future__ import annotations

from html import escape
from urllib.parse import urlparse

from flask import Flask
from flask import Response
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import generate_csrf

from db.login_throttle import AttemptsBusy
from db.login_throttle import is_locked
from db.login_throttle import one_attempt_at_a_time
from db.login_throttle import record_failure
from db.roles import Actor
from db.roles import PermissionDenied
from db.sessions import end_session
from db.sessions import resolve_session
from db.sessions import start_session
from db.settings import get_settings
from db.users import UserInfo
from db.users import authenticate

SESSION_TOKEN = "sid"
TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait a minute and try again."


class SessionUser(UserMixin):
    def __init__(self, info: UserInfo):
        self.info = info
        self.id = str(info.id)

    @property
    def username(self) -> str:
        return self.info.username

    @property
    def role(self) -> str:
        return self.info.role


def current_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


def current_actor() -> Actor:
    """The signed-in user as the actor every command checks (no one signed in: refused)."""
    if not current_user.is_authenticated:
        raise PermissionDenied("sign in to make changes")
    return Actor(current_user.username, current_user.role)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Channel Performance</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light">
<main class="container" style="max-width: 420px; margin-top: 10vh">
  <h1 class="h3 mb-1">Channel Performance</h1>
  {body}
</main></body></html>"""

LOGIN_FORM = """<p class="text-secondary mb-4">Sign in to see how every sales channel is doing.</p>
  {message}
  <form method="post" action="/login" class="card card-body shadow-sm">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <input type="hidden" name="next" value="{next}">
    <label class="form-label" for="username">Username</label>
    <input class="form-control mb-3" id="username" name="username" autocomplete="username"
           required autofocus value="{username}">
    <label class="form-label" for="password">Password</label>
    <input class="form-control mb-3" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary w-100" id="login-submit" type="submit">Sign in</button>
  </form>"""

LOGOUT_FORM = """<p class="text-secondary mb-4">Signed in as {username}.</p>
  <form method="post" action="/logout" class="card card-body shadow-sm">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <button class="btn btn-primary w-100" id="logout-submit" type="submit">Sign out</button>
  </form>"""


def _page(title: str, body: str, status: int) -> Response:
    return Response(PAGE.format(title=title, body=body), status=status, mimetype="text/html")


def _login_page(message: str = "", status: int = 200, username: str = "", next_url: str = "/"):
    alert = (
        f'<div class="alert alert-danger" role="alert">{escape(message)}</div>' if message else ""
    )
    body = LOGIN_FORM.format(
        message=alert, next=escape(next_url), username=escape(username), csrf=generate_csrf()
    )
    return _page("Sign in", body, status)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _address() -> str:
    return request.remote_addr or ""


def init_auth(server: Flask) -> None:
    settings = get_settings()
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
    )
    manager = LoginManager(server)
    manager.login_view = "login"

    @manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        info = resolve_session(session.get(SESSION_TOKEN))
        return SessionUser(info) if info is not None and str(info.id) == user_id else None

    @server.route("/login", methods=["GET"])
    def login():
        return _login_page(next_url=_safe_next(request.args.get("next")))

    @server.route("/login", methods=["POST"])
    def login_submit():
        username = request.form.get("username", "")
        next_url = _safe_next(request.form.get("next"))
        try:
            with one_attempt_at_a_time(username, _address()):
                if is_locked(username, _address()):
                    return _login_page(TOO_MANY_ATTEMPTS, 429)
                info = authenticate(username, request.form.get("password", ""))
                if info is None:
                    record_failure(username, _address())
                    return _login_page("Wrong username or password.", 401, username, next_url)
        except AttemptsBusy:
            return _login_page(TOO_MANY_ATTEMPTS, 429)
        session.clear()
        session[SESSION_TOKEN] = start_session(info.id, _address())
        login_user(SessionUser(info))
        return redirect(next_url)

    @server.route("/logout", methods=["GET"])
    def logout_confirm():
        if not current_user.is_authenticated:
            return redirect(url_for("login"))
        body = LOGOUT_FORM.format(username=escape(current_user.username), csrf=generate_csrf())
        return _page("Sign out", body, 200)

    @server.route("/logout", methods=["POST"])
    def logout():
        end_session(session.get(SESSION_TOKEN))
        logout_user()
        session.clear()
        return redirect(url_for("login"))

    @server.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return _login_page(
            f"The form could not be accepted ({error.description}). Please sign in again.", 400
        )
