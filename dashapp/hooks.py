"""Signed webhook pushes: ``POST /hooks/<source>``, verified, queued, answered 202 at once.

Shopify signs the raw body (``X-Shopify-Hmac-Sha256``); Square signs the
notification URL followed by the body (``x-square-hmacsha256-signature``). The
secret is read from the environment variable the source names. A push that does
not verify is refused with 401 and nothing is queued. The job waits on the source's own RQ
queue, ``ingest.<source>`` (``ingestion.queues``; it runs in-process when no Redis is
configured).
"""

from __future__ import annotations

import logging
import os

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from db.engine import get_engine
from db.errors import CommandError
from db.jobs import enqueue
from ingestion.connectors.kind import Push
from ingestion.connectors.registry import KINDS
from ingestion.queues import INGEST_QUEUE
from ingestion.queues import source_queue
from ingestion.sources import get_source
from ingestion.sync.pushes import PUSH_JOB

log = logging.getLogger(__name__)

QUEUE_CONFIG = "INGEST_QUEUE"  # the ingest queues' base name, if not ``ingest`` (tests)
MAX_BODY = 16 * 1024 * 1024
READ_CHUNK = 64 * 1024

hooks = Blueprint("hooks", __name__, url_prefix="/hooks")


def _answer(code: int, **body):
    response = jsonify(**body)
    response.status_code = code
    return response


def _verified(push: Push, body: bytes, secret: str, options: dict) -> bool:
    notification_url = options.get("notification_url") or request.url
    return push.verify(body, request.headers, secret, notification_url)


def _bounded_body(limit: int) -> bytes:
    """The request body, read in pieces and refused (413) as soon as it passes ``limit``:
    a chunked body declares no length, so the check is made while it streams in."""
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    parts, size = [], 0
    while chunk := request.stream.read(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        parts.append(chunk)
    return b"".join(parts)


def _unverifiable():
    """One answer for an unknown source, a source that takes no pushes and a bad signature,
    so an unsigned request learns nothing about which sources exist."""
    return _answer(401, error="unauthorized", message="the signature cannot be verified")


@hooks.post("/<name>")
def receive(name: str):
    body = _bounded_body(MAX_BODY)
    try:
        with get_engine().connect() as conn:
            source = get_source(conn, name)
    except CommandError:
        return _unverifiable()
    push = KINDS[source.kind].push
    if push is None or not source.enabled:
        return _unverifiable()
    secret = os.environ.get(source.webhook_secret_env or "")
    if not secret:
        log.error("webhook secret of %s is not set (%s)", name, source.webhook_secret_env)
        return _unverifiable()
    if not _verified(push, body, secret, source.options):
        return _unverifiable()
    queue = source_queue(source.name, current_app.config.get(QUEUE_CONFIG, INGEST_QUEUE))
    job = enqueue(PUSH_JOB, source.name, body, queue=queue, job_timeout=600)
    return _answer(202, status="accepted", job=job.id)


@hooks.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    return _answer(413, error="too_large", message=f"pushes are limited to {MAX_BODY} bytes")
