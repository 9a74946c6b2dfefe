"""Inbound HMAC signatures: Firelane's own header and Grafana's.

``X-Firelane-Signature: t=<unix seconds>,v1=<hex hmac_sha256(secret, "<t>.<body>")>``; several
``v1`` values may be sent while a secret is being rotated. Grafana signs the body (or
``"<timestamp>:<body>"`` when its contact point names a timestamp header) into
``X-Grafana-Alerting-Signature`` as bare hex. Timestamps older or newer than five minutes
are refused, and every comparison takes constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from app.alerts.exceptions import BadSignature, SignatureRequired

FIRELANE_HEADER = "x-firelane-signature"
GRAFANA_HEADER = "x-grafana-alerting-signature"
GRAFANA_TIMESTAMP_HEADERS = (
    "x-grafana-alerting-timestamp",
    "x-grafana-alerting-signature-timestamp",
)
TOLERANCE_SECONDS = 300


def _digest(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def firelane_signature(secret: str, body: bytes, timestamp: int) -> str:
    """Return the X-Firelane-Signature value a sender puts on ``body`` at ``timestamp``."""
    return f"t={timestamp},v1={_digest(secret, str(timestamp).encode() + b'.' + body)}"


def grafana_signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """Return the hex signature Grafana sends (with or without its timestamp header)."""
    message = body if timestamp is None else timestamp.encode() + b":" + body
    return _digest(secret, message)


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
        elif name == "v1":
            candidates.append(value)
    if not timestamp or not candidates:
        raise BadSignature("X-Firelane-Signature must look like t=<unix seconds>,v1=<hex>.")
    if not _fresh(timestamp, now):
        raise BadSignature("The signature's timestamp is more than five minutes off.")
    expected = _digest(secret, timestamp.encode() + b"." + body)
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


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """Check the body's signature; raise SignatureRequired or BadSignature (both 401)."""
    firelane = headers.get(FIRELANE_HEADER)
    if firelane is not None:
        _check_firelane(secret, body, firelane, now)
        return
    grafana = headers.get(GRAFANA_HEADER)
    if grafana is not None:
        _check_grafana(secret, body, grafana, headers, now)
        return
    raise SignatureRequired()
