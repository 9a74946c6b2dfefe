"""Password hashing (argon2id) and the random secrets behind tokens, sessions and CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("firelane-dummy-password")

TOKEN_PREFIX = "fl_"  # noqa: S105 - a marker, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant work whether or not there is a hash to check against."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    """Return a fresh high-entropy secret for an API token or a session cookie."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Hash a high-entropy secret for storage; a fast hash suffices at 256 bits of entropy."""
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(secret_key: str, session_secret: str) -> str:
    """Derive the CSRF token that belongs to one browser session."""
    digest = hmac.new(secret_key.encode(), b"csrf:" + session_secret.encode(), hashlib.sha256)
    return digest.hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
