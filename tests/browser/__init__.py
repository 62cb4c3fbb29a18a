"""The browser tests (one module per page or flow) and their helpers: serve the app in a
subprocess, drive headless Chromium (Playwright). Other tests import ``served_app`` and
``free_port`` from here too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app(database_url: str, workers: int = 1, **env: str):
    """`channelperf serve` on a free port against the database; yields the base URL."""
    port = free_port()
    environment = {**os.environ, "CHANNELPERF_DATABASE_URL": database_url}
    environment.update({f"CHANNELPERF_{k.upper()}": v for k, v in env.items()})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise RuntimeError("server did not start within 60 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def browser_page(viewport=(1440, 1000)):
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            yield context.new_page()
        finally:
            browser.close()


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#nav-links", timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# True once Dash has hydrated the page and no callback is requested, running or being applied, and
# nothing on the page shows as loading (the renderer's queues: dash-renderer's callbacks reducer).
_DASH_IDLE = """() => {
  const state = window.store && window.store.getState();
  if (!state || state.appLifecycle !== 'HYDRATED' || !state.callbacks) return false;
  const queues = ['requested', 'prioritized', 'blocked', 'executing', 'watched', 'executed'];
  return !queues.some(name => (state.callbacks[name] || []).length)
    && !document.querySelector('[data-dash-is-loading="true"]');
}"""


def settle(page, timeout: int = 60_000) -> None:
    """Wait until Dash is idle, twice 150 ms apart: a callback's outputs can start the next
    ones, and a chart draws after its figure arrives."""
    for _ in range(2):
        page.wait_for_function(_DASH_IDLE, timeout=timeout)
        page.wait_for_timeout(150)


def choose(page, dropdown_id: str, text: str) -> None:
    """Pick an option of a dcc.Dropdown by its label."""
    page.click(f"#{dropdown_id}")
    page.get_by_role("option", name=text, exact=True).first.click()
    page.keyboard.press("Escape")


def fill_in(page, values: dict[str, str]) -> None:
    """Give each form field its value, in order: a <select> the option, any other field text."""
    for selector, value in values.items():
        if page.locator(selector).evaluate("field => field.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def submit(page, button: str, message: str, alert: str = ".alert") -> str:
    """Click ``button``, wait for an ``alert`` in ``message`` and return the message's text."""
    page.click(button)
    page.wait_for_selector(f"{message} {alert}")
    return page.inner_text(message)
