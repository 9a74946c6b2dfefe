"""The request side of ingestion: authenticate, verify, parse and normalise, then queue.

All of it runs on the event loop without touching the database, except to read an
integration's settings the first time (or after ``settings_cache_seconds``). The
writer re-checks the token against the stored one inside its transaction, so a
rotated token is refused at once even while a copy of the old settings is cached.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import select
from starlette.requests import Request

from app.alerts.config import AlertSettings
from app.alerts.exceptions import (
    IngestRateLimited,
    IngestUnauthorized,
    IntegrationBodyTooLarge,
    IntegrationDisabled,
    InvalidPayload,
)
from app.alerts.ingest.batch import IngestResult, IngestWork
from app.alerts.ingest.committer import Committer
from app.alerts.models import Integration, IntegrationKind
from app.alerts.redact import may_hold_secrets, redact_alert, stored_body
from app.alerts.sources import NormalisedAlert, normalise, parse_json
from app.alerts.sources.base import storable_alerts
from app.auth.credentials import hash_secret
from app.core.clock import now
from app.core.db import Database
from app.core.errors import AppError, NotAuthenticated
from app.core.schemas import MAX_ID
from app.core.sealing import SecretUnreadable, unseal
from app.hooks.signing import verify_inbound

logger = logging.getLogger("firelane.alerts")
# A secret no HMAC can match (the stored one could not be decrypted).
UNREADABLE = secrets.token_hex(32)

# Bodies larger than this are parsed and normalised off the event loop.
_THREAD_ABOVE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """What the request side needs to know of an integration."""

    id: int
    kind: IntegrationKind
    token_hash: str
    enabled: bool
    field_mapping: dict[str, Any]
    hmac_secret: str | None
    max_body_bytes: int | None
    rate_limit_per_minute: int | None

    @classmethod
    def of(cls, row: Integration, secret_key: str) -> Target:
        secret = None
        if row.hmac_secret is not None:
            try:
                secret = str(unseal(secret_key, row.hmac_secret))
            except SecretUnreadable:
                # FIRELANE_SECRET_KEY changed: no signature can match until an admin sets
                # the secret again; refusing is safer than accepting unsigned payloads.
                logger.warning("integration %s: its HMAC secret is unreadable", row.id)
                secret = UNREADABLE
        return cls(
            id=row.id or 0,
            kind=IntegrationKind(row.kind),
            token_hash=row.token_hash,
            enabled=row.enabled,
            field_mapping=dict(row.field_mapping),
            hmac_secret=secret,
            max_body_bytes=row.max_body_bytes,
            rate_limit_per_minute=row.rate_limit_per_minute,
        )


class TargetCache:
    """Integration settings by id and by token hash, re-read after ``ttl`` seconds."""

    def __init__(self, db: Database, ttl: float, secret_key: str) -> None:
        self.db = db
        self.ttl = ttl
        self.secret_key = secret_key
        self._entries: dict[tuple[str, object], tuple[float, Target | None]] = {}

    def _load(self, by: str, value: object) -> Target | None:
        if by == "id" and not (isinstance(value, int) and 1 <= value <= MAX_ID):
            return None  # no integration has it: answered as any unknown one (401)
        with self.db.session(readonly=True) as session:
            column = Integration.id if by == "id" else Integration.token_hash
            row = session.exec(select(Integration).where(column == value)).first()
            return Target.of(row, self.secret_key) if row is not None else None

    async def get(self, by: str, value: object, *, fresh: bool = False) -> Target | None:
        entry = self._entries.get((by, value))
        if not fresh and entry is not None and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        target = await anyio.to_thread.run_sync(self._load, by, value)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[(by, value)] = (time.monotonic(), target)
        return target


class IngestLimits:
    """Each integration's optional rate limit: requests a minute, in a moving window kept
    in this process's memory (with ``--workers N``, each HTTP process counts its own)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, target: Target) -> None:
        """Count a request of ``target``'s; raise IngestRateLimited past its limit."""
        if target.rate_limit_per_minute is None:
            return
        item = RateLimitItemPerMinute(target.rate_limit_per_minute, namespace="ingest")
        key = str(target.id)
        if not self._limiter.hit(item, key):
            reset = self._limiter.get_window_stats(item, key).reset_time
            raise IngestRateLimited(retry_after=math.ceil(reset - time.time()))


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The ingest path's parts of one app: settings, integration cache, committer."""

    settings: AlertSettings
    targets: TargetCache
    committer: Committer  # a writer thread in this process, or the writer process
    limits: IngestLimits = field(default_factory=lambda: IngestLimits())


def request_token(request: Request) -> str | None:
    """Read the ingest token: Bearer, Basic (the password), or ``?token=``."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return value
        if scheme.lower() == "basic" and value:
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise IngestUnauthorized("The Basic credentials are not valid base64.") from exc
            return password or user or None
        raise IngestUnauthorized("Send the token as Bearer, as the Basic password, or ?token=.")
    return request.query_params.get("token") or None


def _check(target: Target | None, token_hash: str) -> Target:
    if target is None or target.token_hash != token_hash:
        raise IngestUnauthorized()
    if not target.enabled:
        raise IntegrationDisabled()
    return target


async def _authenticate(
    cache: TargetCache, by: str, value: object, token_hash: str, body: bytes, request: Request
) -> Target:
    """Find and check the integration; on any refusal read its settings afresh once."""
    for fresh in (False, True):
        target = await cache.get(by, value, fresh=fresh)
        try:
            checked = _check(target, token_hash)
            if checked.hmac_secret is not None:
                verify_inbound(checked.hmac_secret, body, request.headers, now())
            return checked
        except NotAuthenticated:
            if fresh:
                raise
    raise AssertionError("unreachable")


def _prepare(
    target: Target, body: bytes, data: Any, max_stored: int
) -> tuple[list[NormalisedAlert], str, bool]:
    if data is None:
        data = parse_json(body)
    alerts = storable_alerts(body, normalise(target.kind, data, target.field_mapping))
    if not alerts:
        raise InvalidPayload("The payload holds no alert.")
    suspect = may_hold_secrets(body)
    if suspect:  # card data is redacted as the stored payload is
        alerts = [redact_alert(alert) for alert in alerts]
    stored, truncated = stored_body(body, data, max_stored, suspect=suspect)
    return alerts, stored, truncated


async def receive(
    request: Request, *, integration_id: int | None, pipeline: Pipeline
) -> IngestResult:
    """Authenticate, normalise and store one ingest request; raise its 4xx/5xx as AppError."""
    body = await request.body()
    data: Any = None
    token = request_token(request)
    cache, settings = pipeline.targets, pipeline.settings
    if integration_id is None:
        # PagerDuty's Events API names the integration by the routing_key in the body.
        data = parse_json(body)
        routing_key = data.get("routing_key") if isinstance(data, dict) else None
        token = routing_key if isinstance(routing_key, str) and routing_key else token
    if not token:
        raise IngestUnauthorized("No token: send it as Bearer, as the Basic password, or ?token=.")
    token_hash = hash_secret(token)
    if integration_id is None:
        target = await _authenticate(cache, "token", token_hash, token_hash, body, request)
        kind = IntegrationKind.pagerduty
    else:
        target = await _authenticate(cache, "id", integration_id, token_hash, body, request)
        kind = target.kind
    pipeline.limits.hit(target)  # refused before any parsing: 429, never a silent drop
    if target.max_body_bytes is not None and len(body) > target.max_body_bytes:
        raise IntegrationBodyTooLarge(
            f"The body exceeds this integration's {target.max_body_bytes} bytes."
        )
    as_kind = target if kind == target.kind else replace(target, kind=kind)
    if len(body) > _THREAD_ABOVE:
        prepared = await anyio.to_thread.run_sync(
            _prepare, as_kind, body, data, settings.payload_max_bytes
        )
    else:
        prepared = _prepare(as_kind, body, data, settings.payload_max_bytes)
    alerts, stored, truncated = prepared
    work = IngestWork(
        integration_id=target.id,
        token_hash=token_hash,
        alerts=alerts,
        body=stored,
        truncated=truncated,
        size_bytes=len(body),
        content_type=request.headers.get("content-type", ""),
    )
    outcome = await pipeline.committer.submit(work)
    if isinstance(outcome, AppError):
        raise outcome
    return outcome
