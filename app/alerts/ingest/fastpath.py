"""The ingest endpoints as a plain ASGI handler, in front of FastAPI's routing.

``POST /api/v1/ingest/{integration_id}`` and ``POST /api/v1/ingest/pagerduty/v2/enqueue``
are the busiest paths by far. Routed through FastAPI, each request also pays for route
matching, dependency solving and response classes, about as much again as the work
itself. This middleware answers them directly with the same code (``receiver.receive``)
and the same answers, errors included (rendered by ``core.errors.render``); everything
else (and any path it does not recognise exactly, e.g. a non-numeric id) goes on to
FastAPI, whose routes stay registered for the OpenAPI schema.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.alerts.ingest.batch import IngestResult
from app.alerts.ingest.receiver import Pipeline, receive
from app.alerts.metrics import count_refused
from app.core.errors import AppError, Unavailable, render

logger = logging.getLogger("firelane.alerts")

_PAGERDUTY = "pagerduty/v2/enqueue"
# Longer ids cannot be integrations': read as 0, no integration's id (the receiver then
# answers 401 for them, as for any unknown id).
_MAX_DIGITS = 19


@dataclass(frozen=True, slots=True)
class _Route:
    """What the metrics middleware reads of a matched route."""

    path: str


_INGEST_ROUTE = _Route("/ingest/{integration_id}")
_PAGERDUTY_ROUTE = _Route("/ingest/pagerduty/v2/enqueue")


def accepted_body(result: IngestResult, *, pagerduty: bool = False) -> dict[str, Any]:
    """The 202 answer of an ingest request."""
    body: dict[str, Any] = {
        "accepted": result.accepted,
        "cards": result.cards,
        "suppressed": result.suppressed,
        "ignored": result.ignored,
    }
    if pagerduty:
        body.update(status="success", message="Event processed", dedup_key=result.keys[0])
    return body


async def _accepted(send: Send, body: dict[str, Any]) -> None:
    # As JSONResponse renders it, written out: this answers every alert. Refusals are
    # rendered by core.errors.render, as everywhere else.
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    raw = [
        (b"content-length", str(len(content)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 202, "headers": raw})
    await send({"type": "http.response.body", "body": content})


class IngestFastPath:
    """Answer the ingest endpoints under ``prefix`` without FastAPI's routing."""

    def __init__(self, app: ASGIApp, *, pipeline: Pipeline, prefix: str = "/api/v1") -> None:
        self.app = app
        self.pipeline = pipeline
        self.start = f"{prefix}/ingest/"

    def _match(self, scope: Scope) -> tuple[bool, int | None]:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False, None
        path: str = scope["path"]
        if not path.startswith(self.start):
            return False, None
        rest = path[len(self.start) :]
        if rest == _PAGERDUTY:
            return True, None
        if rest.isascii() and rest.isdigit():
            return True, int(rest) if len(rest) <= _MAX_DIGITS else 0
        return False, None

    async def __call__(self, scope: Scope, receive_: Receive, send: Send) -> None:
        matched, integration_id = self._match(scope)
        if not matched:
            await self.app(scope, receive_, send)
            return
        pagerduty = integration_id is None
        scope["route"] = _PAGERDUTY_ROUTE if pagerduty else _INGEST_ROUTE
        request = Request(scope, receive_)
        try:
            result = await receive(request, integration_id=integration_id, pipeline=self.pipeline)
        except AppError as exc:
            count_refused(exc, integration_id)
            await render(exc)(scope, receive_, send)
            return
        except OperationalError as exc:
            logger.warning("store unavailable: %s", exc.orig)
            count_refused(Unavailable(), integration_id)
            await render(Unavailable())(scope, receive_, send)
            return
        await _accepted(send, accepted_body(result, pagerduty=pagerduty))
