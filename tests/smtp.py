"""A local SMTP server (aiosmtpd) for the tests that send mail, configured through the
CHANNELPERF_SMTP_* variables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from tests.browser import free_port


@contextmanager
def local_smtp(monkeypatch, handler, sender: str | None = None) -> Iterator:
    """Serve SMTP on a free port, handing every message to ``handler`` (aiosmtpd's
    ``handle_DATA``), with ``sender`` (if given) as the app's From address; yields ``handler``."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CHANNELPERF_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHANNELPERF_SMTP_PORT", str(port))
    if sender is not None:
        monkeypatch.setenv("CHANNELPERF_SMTP_FROM", sender)
    try:
        yield handler
    finally:
        controller.stop()
