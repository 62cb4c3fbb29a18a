"""Webhook signatures, checked against HMACs computed here with the standard library."""

from __future__ import annotations

import base64
import hashlib
import hmac

from ingestion.signatures import shopify_signature
from ingestion.signatures import shopify_valid
from ingestion.signatures import square_signature
from ingestion.signatures import square_valid

BODY = b'{"id":450789469,"total_price":"56.27","note":"caf\xc3\xa9"}'


def reference(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def test_shopify_signature_matches_reference_and_verifies():
    expected = reference(b"shpss_secret", BODY)
    assert shopify_signature(BODY, "shpss_secret") == expected
    assert shopify_valid(BODY, expected, "shpss_secret")


def test_shopify_rejects_tampering_wrong_secret_and_missing_header():
    good = reference(b"shpss_secret", BODY)
    assert not shopify_valid(BODY + b" ", good, "shpss_secret")
    assert not shopify_valid(BODY, good, "another_secret")
    assert not shopify_valid(BODY, None, "shpss_secret")
    assert not shopify_valid(BODY, "", "shpss_secret")
    assert not shopify_valid(BODY, good[:-2] + "AA", "shpss_secret")


def test_square_signs_url_then_body():
    url = "https://example.com/webhooks/square"
    expected = reference(b"sq-signature-key", url.encode() + BODY)
    assert square_signature(BODY, url, "sq-signature-key") == expected
    assert square_valid(BODY, expected, url, "sq-signature-key")
    # The same body posted to another URL carries a different signature.
    assert not square_valid(BODY, expected, "https://example.com/other", "sq-signature-key")
    assert not square_valid(BODY, reference(b"sq-signature-key", BODY), url, "sq-signature-key")
    assert not square_valid(BODY, None, url, "sq-signature-key")
