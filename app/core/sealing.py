"""Secrets at rest, encrypted with a key from the settings: webhook secrets, rule headers
and integrations' HMAC secrets.

A signing secret must be readable to sign with, so it cannot be stored as a hash. It is
encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived by HKDF from
``FIRELANE_SECRET_KEY``. Changing that key makes stored secrets unreadable: deliveries then
fail with ``secret_unreadable`` until an admin sets new secrets.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Named for the package this began in; changing it would make every stored secret unreadable.
_INFO = b"firelane hooks secrets v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted: FIRELANE_SECRET_KEY changed since it was stored."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, value: Any) -> str:
    """Encrypt a JSON-able value; the result is ASCII text."""
    raw = json.dumps(value, separators=(",", ":")).encode()
    return _fernet(secret_key).encrypt(raw).decode("ascii")


def unseal(secret_key: str, token: str) -> Any:
    """Decrypt what ``seal`` made with the same key, or raise SecretUnreadable."""
    try:
        raw = _fernet(secret_key).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("the secret was stored under another FIRELANE_SECRET_KEY") from exc
    return json.loads(raw)
