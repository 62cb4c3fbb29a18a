"""Verifying signed webhook pushes the way Shopify and Square sign them (constant-time compare)."""

from __future__ import annotations

import base64
import hashlib
import hmac

SHOPIFY_HEADER = "X-Shopify-Hmac-Sha256"
SQUARE_HEADER = "x-square-hmacsha256-signature"


def _hmac_b64(secret: str | bytes, message: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def shopify_signature(body: bytes, secret: str | bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body with the app's client secret."""
    return _hmac_b64(secret, body)


def square_signature(body: bytes, notification_url: str, signature_key: str | bytes) -> str:
    """Base64 HMAC-SHA256 of the notification URL followed by the raw body."""
    return _hmac_b64(signature_key, notification_url.encode() + body)


def shopify_valid(body: bytes, header_value: str | None, secret: str | bytes) -> bool:
    if not header_value:
        return False
    return hmac.compare_digest(
        shopify_signature(body, secret).encode(), header_value.strip().encode()
    )


def square_valid(
    body: bytes, header_value: str | None, notification_url: str, signature_key: str | bytes
) -> bool:
    if not header_value:
        return False
    expected = square_signature(body, notification_url, signature_key)
    return hmac.compare_digest(expected.encode(), header_value.strip().encode())
