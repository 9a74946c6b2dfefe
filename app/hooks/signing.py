"""The signature of outgoing requests, as receivers verify it.

``X-Firelane-Signature: v1=<hex hmac_sha256(secret, "<timestamp>.<body>")>`` where the
timestamp is ``X-Firelane-Timestamp`` (Unix seconds) and the body the exact bytes sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """Make a random signing secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the X-Firelane-Signature value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(
    secret: str, *, timestamp: str, body: bytes, header: str, now: int, tolerance: int = 300
) -> bool:
    """Check a signature header the way a receiver should (constant time, fresh timestamp)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    expected = signature(secret, sent_at, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
