"""Signing in through the real form (CSRF token and same-origin header, as a browser sends them)."""

from __future__ import annotations

import re

# The Flask test client's requests go to http://localhost.
ORIGIN = {"Origin": "http://localhost"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client, path: str = "/login") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in_client(client, username: str, password: str, **extra):
    """POST the sign-in form with its CSRF token; returns the response (302 when signed in)."""
    data = {"username": username, "password": password, "csrf_token": form_token(client), **extra}
    return client.post("/login", data=data, headers=ORIGIN)


def sign_out(client):
    return client.post(
        "/logout", data={"csrf_token": form_token(client, "/logout")}, headers=ORIGIN
    )


def post_callback(client, body):
    return client.post("/_dash-update-component", json=body, headers=ORIGIN)
