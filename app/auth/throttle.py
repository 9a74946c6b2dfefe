"""Failed logins, counted per user name and per client address in a moving window.

A name or an address past its limit gets 429 ``too_many_login_attempts`` (with
``Retry-After``) before its password is even checked, so guessing is slow and a flood
of guesses cannot keep the server hashing. A successful login clears its name's count.
Counts live in the memory of each server process (``limits``' moving window): with
``--workers N`` a guesser gets up to N times the limit, still far from a brute force.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from app.auth import service
from app.auth.exceptions import InvalidCredentials, TooManyLoginAttempts
from app.auth.models import User


class LoginThrottle:
    """Allow ``per_name`` failed logins per name and ``per_address`` per client address
    within ``window_minutes``."""

    def __init__(self, *, per_name: int, per_address: int, window_minutes: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._by_name = RateLimitItemPerMinute(per_name, window_minutes, namespace="login-name")
        self._by_address = RateLimitItemPerMinute(
            per_address, window_minutes, namespace="login-address"
        )

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset = self._limiter.get_window_stats(item, key).reset_time
        return math.ceil(reset - time.time())

    def check(self, name: str, address: str) -> None:
        """Raise ``TooManyLoginAttempts`` if the name or the address is past its limit."""
        for item, key in ((self._by_name, name), (self._by_address, address)):
            if not self._limiter.test(item, key):
                raise TooManyLoginAttempts(retry_after=self._retry_after(item, key))

    def authenticate(self, session: Session, *, name: str, password: str, address: str) -> User:
        """``service.authenticate``, refused early past a limit, counting the failures."""
        self.check(name, address)
        try:
            user = service.authenticate(session, name=name, password=password)
        except InvalidCredentials:
            self.failed(name, address)
            raise
        self.succeeded(name)
        return user

    def failed(self, name: str, address: str) -> None:
        self._limiter.hit(self._by_name, name)
        self._limiter.hit(self._by_address, address)

    def succeeded(self, name: str) -> None:
        self._limiter.clear(self._by_name, name)
