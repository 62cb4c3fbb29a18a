"""Sign-in, sign-out and the request guard (pages, callbacks) for the Flask server under Dash."""

from __future__ import annotations

from html import escape
from urllib.parse import urlparse

from flask import Flask, Response, jsonify, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashapp.access import allowed, page_for_component, page_for_path
from db.settings import get_settings
from db.users import UserInfo, authenticate, get_user

PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/healthz", "/favicon.ico")
PAGES_CONTENT = "_pages_content"
PAGES_LOCATION = "_pages_location"


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


def current_username() -> str:
    return current_user.username if current_user.is_authenticated else "anonymous"


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Channel Performance</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light">
<main class="container" style="max-width: 420px; margin-top: 10vh">
  <h1 class="h3 mb-1">Channel Performance</h1>
  <p class="text-secondary mb-4">Sign in to see how every sales channel is doing.</p>
  {message}
  <form method="post" action="/login" class="card card-body shadow-sm">
    <input type="hidden" name="next" value="{next}">
    <label class="form-label" for="username">Username</label>
    <input class="form-control mb-3" id="username" name="username" autocomplete="username"
           required autofocus value="{username}">
    <label class="form-label" for="password">Password</label>
    <input class="form-control mb-3" id="password" name="password" type="password"
           autocomplete="current-password" required>
    <button class="btn btn-primary w-100" id="login-submit" type="submit">Sign in</button>
  </form>
</main></body></html>"""


def _login_page(message: str = "", status: int = 200, username: str = "", next_url: str = "/"):
    alert = (
        f'<div class="alert alert-danger" role="alert">{escape(message)}</div>' if message else ""
    )
    body = LOGIN_PAGE.format(message=alert, next=escape(next_url), username=escape(username))
    return Response(body, status=status, mimetype="text/html")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: no open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _callback_targets(payload: dict) -> tuple[list, str | None]:
    """Output component ids of a Dash callback request, and the page path it renders if any."""
    outputs = payload.get("outputs", [])
    outputs = outputs if isinstance(outputs, list) else [outputs]
    ids = []
    for output in outputs:
        for item in output if isinstance(output, list) else [output]:
            ids.append(item.get("id"))
    pathname = None
    if PAGES_CONTENT in ids:
        for item in payload.get("inputs", []):
            if (
                isinstance(item, dict)
                and item.get("id") == PAGES_LOCATION
                and item.get("property") == "pathname"
            ):
                pathname = item.get("value")
    return ids, pathname


def _forbidden(reason: str) -> Response:
    response = jsonify(error="forbidden", message=reason)
    response.status_code = 403
    return response


def guard() -> Response | None:
    """Before every request: sign-in required, then the page matrix for pages and callbacks."""
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or path.startswith("/api/") or path.startswith("/hooks/"):
        return None
    if not current_user.is_authenticated:
        if request.method == "GET" and not path.startswith("/_dash"):
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        response = jsonify(error="unauthorized", message="sign in first")
        response.status_code = 401
        return response
    role = current_role()
    if path.endswith("/_dash-update-component") and request.method == "POST":
        payload = request.get_json(silent=True) or {}
        ids, pathname = _callback_targets(payload)
        if pathname is not None and not allowed(page_for_path(pathname), role):
            return _forbidden(f"the {role} role may not open {pathname}")
        for component in ids:
            page = page_for_component(component)
            if not allowed(page, role):
                return _forbidden(f"the {role} role may not use {page['name']}")
        return None
    if request.method == "GET" and not allowed(page_for_path(path), role):
        return _forbidden(f"the {role} role may not open {path}")
    return None


def init_auth(server: Flask) -> Limiter:
    settings = get_settings()
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
    )
    manager = LoginManager(server)
    manager.login_view = "login"

    @manager.user_loader
    def load_user(user_id: str) -> SessionUser | None:
        info = get_user(int(user_id))
        return SessionUser(info) if info else None

    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=settings.redis_url or "memory://",
        strategy="fixed-window",
    )

    @server.route("/login", methods=["GET"])
    def login():
        return _login_page(next_url=_safe_next(request.args.get("next")))

    def _failed(response: Response) -> bool:
        """Only failed attempts count against the limit."""
        return response.status_code == 401

    def _failed_login_key() -> str:
        return f"{get_remote_address()}|{request.form.get('username', '').lower()}"

    @server.route("/login", methods=["POST"])
    @limiter.limit(settings.login_rate_limit, key_func=get_remote_address, deduct_when=_failed)
    @limiter.limit(settings.login_rate_limit, key_func=_failed_login_key, deduct_when=_failed)
    def login_submit():
        username = request.form.get("username", "")
        next_url = _safe_next(request.form.get("next"))
        info = authenticate(username, request.form.get("password", ""))
        if info is None:
            return _login_page("Wrong username or password.", 401, username, next_url)
        login_user(SessionUser(info))
        return redirect(next_url)

    @server.errorhandler(429)
    def too_many(_error):
        return _login_page(
            "Too many sign-in attempts. Wait a minute and try again.", 429, next_url="/"
        )

    @server.route("/logout")
    def logout():
        logout_user()
        return redirect(url_for("login"))

    @server.route("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return limiter
