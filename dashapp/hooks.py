"""Signed webhook pushes: ``POST /hooks/<source>``, verified, queued, answered 202 at once.

Shopify signs the raw body (``X-Shopify-Hmac-Sha256``); Square signs the
notification URL followed by the body (``x-square-hmacsha256-signature``). The
secret is read from the environment variable the source names. A push that does
not verify is refused with 401 and nothing is queued. The job runs on the RQ
``ingest`` queue (in-process when no Redis is configured).
"""

from __future__ import annotations

import logging
import os

from flask import Blueprint, current_app, jsonify, request

from db.engine import get_engine
from db.errors import CommandError
from db.jobs import enqueue
from ingestion.connectors.kind import Push
from ingestion.connectors.registry import KINDS
from ingestion.sources import get_source

log = logging.getLogger(__name__)

PUSH_JOB = "ingestion.sync.ingest_push"
QUEUE_CONFIG = "INGEST_QUEUE"
MAX_BODY = 16 * 1024 * 1024

hooks = Blueprint("hooks", __name__, url_prefix="/hooks")


def _answer(code: int, **body):
    response = jsonify(**body)
    response.status_code = code
    return response


def _verified(push: Push, body: bytes, secret: str, options: dict) -> bool:
    notification_url = options.get("notification_url") or request.url
    return push.verify(body, request.headers, secret, notification_url)


@hooks.post("/<name>")
def receive(name: str):
    if (request.content_length or 0) > MAX_BODY:
        return _answer(413, error="too_large", message=f"pushes are limited to {MAX_BODY} bytes")
    try:
        with get_engine().connect() as conn:
            source = get_source(conn, name)
    except CommandError:
        return _answer(404, error="not_found", message=f"no source named {name!r}")
    push = KINDS[source.kind].push
    if push is None or not source.enabled:
        return _answer(404, error="not_found", message=f"{name} does not accept pushes")
    secret = os.environ.get(source.webhook_secret_env or "")
    if not secret:
        log.error("webhook secret of %s is not set (%s)", name, source.webhook_secret_env)
        return _answer(401, error="unauthorized", message="the signature cannot be verified")
    body = request.get_data(cache=False)
    if not _verified(push, body, secret, source.options):
        return _answer(401, error="unauthorized", message="invalid signature")
    queue = current_app.config.get(QUEUE_CONFIG, "ingest")
    job = enqueue(PUSH_JOB, source.name, body, queue=queue, job_timeout=600)
    return _answer(202, status="accepted", job=job.id)
