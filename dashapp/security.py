"""Browser-facing protections: CSRF tokens, same-origin state changes, CSP and the other headers.

- Forms (sign-in, sign-out) carry a Flask-WTF CSRF token.
- Every state-changing request from a browser (forms and Dash callbacks) must come from
  this site's own origin (``Origin``, else ``Referer``); token-authenticated API calls
  and signed webhooks are exempt, as they carry no cookies' authority.
- flask-talisman sets the Content-Security-Policy with Dash's inline scripts allowed by
  their hashes (``app.csp_hashes()``), never ``unsafe-inline`` scripts, plus frame,
  referrer, content-type and permissions headers.
"""

from __future__ import annotations

import threading
from urllib.parse import urlparse

import dash
from flask import Flask
from flask import Response
from flask import jsonify
from flask import request
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from db.settings import get_settings

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Requests authenticated by something other than the browser's cookies.
NOT_COOKIE_AUTHENTICATED = ("/api/", "/hooks/")
DASH_DISPATCH_VIEW = "dash.dash.dispatch"
# Dash callbacks carry whole uploads (dcc.Upload) in their JSON.
MAX_REQUEST_BYTES = 64 * 1024 * 1024

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": ["'self'"],
    # Plotly and the grid write <style> elements; scripts stay hash-only.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _origin_of(url: str | None) -> tuple[str, str] | None:
    if not url:
        return None
    parsed = urlparse(url)
    return (parsed.scheme, parsed.netloc) if parsed.scheme and parsed.netloc else None


def cross_origin_refusal() -> Response | None:
    """403 for a browser state change whose Origin (or Referer) is not this site."""
    if request.method not in STATE_CHANGING or request.path.startswith(NOT_COOKIE_AUTHENTICATED):
        return None
    sent = _origin_of(request.headers.get("Origin")) or _origin_of(request.referrer)
    if sent == (request.scheme, request.host):
        return None
    response = jsonify(error="forbidden", message="cross-site requests are refused")
    response.status_code = 403
    return response


class ScriptHashes:
    """Adds Dash's inline-script hashes to the CSP once Dash has registered them all.

    The router's clientside callback is registered by Dash on its first request, so the
    hashes are read then, before any page is served.
    """

    def __init__(self, app: dash.Dash, policy: dict):
        self.app = app
        self.policy = policy
        self.lock = threading.Lock()
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        with self.lock:
            if not self.done:
                hashes = dict.fromkeys(self.app.csp_hashes())
                self.policy["script-src"] = ["'self'", *hashes]
                self.done = True


def init_security(app: dash.Dash) -> None:
    server: Flask = app.server
    settings = get_settings()
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.config["WTF_CSRF_CHECK_DEFAULT"] = True
    csrf = CSRFProtect(server)
    csrf.exempt(DASH_DISPATCH_VIEW)
    for name in ("api_v1", "hooks"):
        csrf.exempt(server.blueprints[name])
    server.before_request(cross_origin_refusal)
    talisman = Talisman(
        server,
        force_https=False,
        strict_transport_security=settings.secure_cookies,
        session_cookie_secure=settings.secure_cookies,
        session_cookie_http_only=True,
        frame_options="DENY",
        referrer_policy="same-origin",
        content_security_policy=dict(CONTENT_SECURITY_POLICY),
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    server.before_request(ScriptHashes(app, talisman.content_security_policy))
