"""The app factory: Flask server with sign-in and the request guard, Dash pages on top."""

from __future__ import annotations

import gc
from pathlib import Path

import dash
from flask import Flask
from flask_login import current_user

from dashapp.api import api
from dashapp.auth import init_auth
from dashapp.components.shell import shell
from dashapp.guard import forbidden_status
from dashapp.guard import guard_layouts
from dashapp.guard import make_guard
from dashapp.hooks import hooks
from dashapp.security import init_security

HERE = Path(__file__).resolve().parent


def _layout():
    """Built per request so the navigation matches the signed-in user's role."""
    if not current_user.is_authenticated:
        return dash.html.Div("Sign in to continue.", id="signed-out")
    return shell(current_user.username, current_user.role)


def create_app() -> dash.Dash:
    server = Flask("channelperf")
    init_auth(server)
    server.register_blueprint(api)
    server.register_blueprint(hooks)
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Channel Performance",
        suppress_callback_exceptions=True,
        external_stylesheets=[],
        update_title=None,
    )
    app.layout = _layout
    guard_layouts()
    # After Dash's own hooks, which import the pages and register their callbacks.
    init_security(app)
    server.before_request(make_guard(app))
    server.after_request(forbidden_status)
    _run_first_request_hooks(server)
    # The imports (pandas, scipy, plotly, Dash's pages) leave a heap whose full collections
    # took ~230 ms: a request now and then paid that. What exists at startup lives as long
    # as the process, so the collector stops scanning it.
    gc.freeze()
    return app


def _run_first_request_hooks(server: Flask) -> None:
    """Run the before-request hooks once before serving. Dash sets itself up on its first
    request (the scripts it may serve, the callbacks, the pages' router) and marks that done
    before doing it: under gunicorn's threads a request arriving meanwhile found no script
    registered (a 500 for a page's JavaScript) and could fix the CSP's script hashes
    (``dashapp.security.ScriptHashes``) without the router's."""
    with server.test_request_context("/"):
        server.preprocess_request()


def wsgi() -> Flask:
    """The WSGI application for gunicorn: ``gunicorn 'dashapp.app:wsgi()'``."""
    return create_app().server
