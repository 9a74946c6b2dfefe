"""Every HMAC signature Firelane makes or checks: inbound alerts and outgoing requests.

Inbound (an integration with an ``hmac_secret``; ``verify_inbound``):

- ``X-Firelane-Signature: t=<unix seconds>,v1=<hex hmac_sha256(secret, "<t>.<body>")>``;
  several ``v1`` values may be sent while a secret is being rotated.
- Grafana's ``X-Grafana-Alerting-Signature``: bare hex of the body's HMAC (or of
  ``"<timestamp>:<body>"`` when its contact point names a timestamp header).

Outgoing (a webhook's or a rule's ``secret``; ``outgoing_headers``), both on every request:

- ``X-Firelane-Signature: v1=<hex hmac_sha256(secret, "<timestamp>.<body>")>`` with the
  timestamp in ``X-Firelane-Timestamp`` (the format documented first; kept working).
- Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` (the delivery's
  id, the same on every retry), ``webhook-timestamp`` and ``webhook-signature: v1,<base64
  hmac_sha256(key, "<id>.<timestamp>.<body>")>``, so receivers can use its libraries.

The key is the secret's UTF-8 bytes, except for Standard Webhooks when the secret is in
that standard's own format, ``whsec_`` + base64 (as ``new_secret`` makes them): then it is
the bytes the base64 encodes, as every Standard Webhooks library reads such a secret.

Timestamps older or newer than five minutes are refused; comparisons take constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime

from app.hooks.exceptions import BadSignature, SignatureRequired

SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
TOLERANCE_SECONDS = 300

FIRELANE_HEADER = "x-firelane-signature"
GRAFANA_HEADER = "x-grafana-alerting-signature"
GRAFANA_TIMESTAMP_HEADERS = (
    "x-grafana-alerting-timestamp",
    "x-grafana-alerting-signature-timestamp",
)


def new_secret() -> str:
    """Make a random signing secret, in the Standard Webhooks format (``whsec_`` + base64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _digest(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _hex(secret: str, message: bytes) -> str:
    return _digest(secret.encode(), message).hex()


# --- outgoing ------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the outgoing X-Firelane-Signature value for a body sent at ``timestamp``."""
    return f"{SCHEME}={_hex(secret, f'{timestamp}.'.encode() + body)}"


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key of a secret (see the module's docstring)."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            key = b""
        if key:
            return key
    return secret.encode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return the Standard Webhooks ``webhook-signature`` value."""
    mac = _digest(standard_key(secret), f"{message_id}.{timestamp}.".encode() + body)
    return f"{SCHEME},{base64.b64encode(mac).decode('ascii')}"


def outgoing_headers(
    secret: str | None, *, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The identity, time and (with a secret) signature headers of an outgoing request."""
    headers = {
        "X-Firelane-Delivery": message_id,
        "X-Firelane-Timestamp": str(timestamp),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["X-Firelane-Signature"] = signature(secret, timestamp, body)
        headers["webhook-signature"] = standard_signature(secret, message_id, timestamp, body)
    return headers


def verify(
    secret: str, *, timestamp: str, body: bytes, header: str, now: int, tolerance: int = 300
) -> bool:
    """Check an outgoing X-Firelane-Signature the way a receiver should (constant time,
    fresh timestamp)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature(secret, sent_at, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


# --- inbound -------------------------------------------------------------------------


def firelane_signature(secret: str, body: bytes, timestamp: int) -> str:
    """Return the X-Firelane-Signature value a sender puts on ``body`` at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={_hex(secret, str(timestamp).encode() + b'.' + body)}"


def grafana_signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """Return the hex signature Grafana sends (with or without its timestamp header)."""
    message = body if timestamp is None else timestamp.encode() + b":" + body
    return _hex(secret, message)


def _fresh(timestamp: str, now: datetime) -> bool:
    try:
        moment = int(timestamp.strip())
    except ValueError:
        return False
    return abs(now.timestamp() - moment) <= TOLERANCE_SECONDS


def _same(expected: str, candidates: list[str]) -> bool:
    matched = False
    for candidate in candidates:
        # Keep comparing after a match, so the time taken says nothing about which one.
        matched |= hmac.compare_digest(expected.encode(), candidate.strip().lower().encode())
    return matched


def _check_firelane(secret: str, body: bytes, header: str, now: datetime) -> None:
    timestamp = ""
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == SCHEME:
            candidates.append(value)
    if not timestamp or not candidates:
        raise BadSignature("X-Firelane-Signature must look like t=<unix seconds>,v1=<hex>.")
    if not _fresh(timestamp, now):
        raise BadSignature("The signature's timestamp is more than five minutes off.")
    expected = _hex(secret, timestamp.encode() + b"." + body)
    if not _same(expected, candidates):
        raise BadSignature()


def _check_grafana(
    secret: str, body: bytes, header: str, headers: Mapping[str, str], now: datetime
) -> None:
    timestamp = next((headers[name] for name in GRAFANA_TIMESTAMP_HEADERS if name in headers), None)
    if timestamp is not None and not _fresh(timestamp, now):
        raise BadSignature("The signature's timestamp is more than five minutes off.")
    if not _same(grafana_signature(secret, body, timestamp), [header]):
        raise BadSignature()


def verify_inbound(secret: str, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """Check an inbound body's signature; raise SignatureRequired or BadSignature (both 401)."""
    firelane = headers.get(FIRELANE_HEADER)
    if firelane is not None:
        _check_firelane(secret, body, firelane, now)
        return
    grafana = headers.get(GRAFANA_HEADER)
    if grafana is not None:
        _check_grafana(secret, body, grafana, headers, now)
        return
    raise SignatureRequired()
