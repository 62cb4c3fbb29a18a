"""The request guard: sign-in first, then the role matrix for pages and for callbacks.

Pages: a role that may not open a path gets the app's frame with a "no access" page
(status 403), never the page. Callbacks: :mod:`dashapp.callback_guard` resolves the
callback Dash would run and refuses it unless its registered ids all belong to pages the
role may open. As a second wall, every page's layout builder checks the role again.
"""

from __future__ import annotations

import functools

import dash
from dash._utils import to_json
from flask import Response
from flask import g
from flask import jsonify
from flask import redirect
from flask import request
from flask import url_for
from flask_login import current_user

from dashapp.access import allowed
from dashapp.access import page_for_path
from dashapp.callback_guard import Refused
from dashapp.callback_guard import judge
from dashapp.components.forbidden import forbidden_page

PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/healthz", "/favicon.ico")
CALLBACK_PATH = "/_dash-update-component"
FORBIDDEN_STATUS = "forbidden_status"


def _json_error(status: int, error: str, message: str) -> Response:
    response = jsonify(error=error, message=message)
    response.status_code = status
    return response


def _role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


def _router_refusal(page: dict | None) -> Response:
    """The router's answer for a page the role may not open: the "no access" page."""
    body = {
        "multi": True,
        "response": {
            "_pages_content": {"children": forbidden_page(_role(), page)},
            "_pages_store": {"data": {"title": "No access · Channel Performance"}},
        },
    }
    return Response(to_json(body), mimetype="application/json")


def guard_callback(app: dash.Dash) -> Response | None:
    try:
        _spec, forbidden = judge(app.callback_map, request.get_json(silent=True), _role())
    except Refused as refusal:
        error = "bad_request" if refusal.status == 400 else "forbidden"
        return _json_error(refusal.status, error, str(refusal))
    if forbidden is not None:
        return _router_refusal(forbidden)
    return None


def make_guard(app: dash.Dash):
    """The before-request hook for ``app``: runs after Dash's own hooks."""

    def guard() -> Response | None:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES) or path.startswith(("/api/", "/hooks/")):
            return None
        if not current_user.is_authenticated:
            if request.method == "GET" and not path.startswith("/_dash"):
                return redirect(url_for("login", next=request.full_path.rstrip("?")))
            return _json_error(401, "unauthorized", "sign in first")
        if path == CALLBACK_PATH and request.method == "POST":
            return guard_callback(app)
        if request.method == "GET" and not allowed(page_for_path(path), _role()):
            # The app's frame still loads; its router shows the "no access" page.
            setattr(g, FORBIDDEN_STATUS, True)
        return None

    return guard


def forbidden_status(response: Response) -> Response:
    if getattr(g, FORBIDDEN_STATUS, False):
        response.status_code = 403
    return response


def guard_layouts() -> None:
    """Wrap every registered page's layout builder in its own role check."""
    for page in dash.page_registry.values():
        if "id_prefix" not in page or getattr(page["layout"], "guarded", False):
            continue
        page["layout"] = _guarded(page, page["layout"])


def _guarded(page: dict, layout):
    @functools.wraps(layout) if callable(layout) else (lambda f: f)
    def build(**kwargs):
        if not allowed(page, _role()):
            return forbidden_page(_role(), page)
        return layout(**kwargs) if callable(layout) else layout

    build.guarded = True
    return build
