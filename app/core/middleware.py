"""ASGI middleware: body size limit and request metrics, both cheap on the hot path."""

from __future__ import annotations

import json
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _reject_too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "payload_too_large", "detail": f"The body exceeds {limit} bytes."}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Answer 413 to bodies over ``limit`` bytes, declared or streamed, before routes see them.

    A body without a Content-Length (chunked) is read here up to the limit and handed on
    whole, so an over-long stream is refused before any route starts on it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None:
            if declared > self.limit:
                await _reject_too_large(send, self.limit)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _reject_too_large(send, self.limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class Metrics:
    """Count requests and time them by route template, for /metrics."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry, api_prefix: str = "") -> None:
        self.app = app
        # Routes of included routers carry paths relative to their prefix.
        self.api_prefix = api_prefix
        self.requests = Counter(
            "firelane_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "firelane_http_request_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, status_send)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            if self.api_prefix and scope["path"].startswith(self.api_prefix + "/"):
                path = self.api_prefix + path
            self.requests.labels(scope["method"], path, str(status)).inc()
            self.latency.labels(path).observe(time.perf_counter() - started)


# Answers that are not HTML pages (JSON, scripts, styles, streams) may load and embed nothing.
_NON_HTML_POLICY = b"default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """Add the security headers every answer carries.

    HTML pages get ``html_policy`` as their Content-Security-Policy unless the page set its
    own (a page that needs another policy, such as the API docs, sets it); every other answer
    gets one that allows nothing. All get nosniff, frame denial and a same-origin referrer.
    """

    def __init__(self, app: ASGIApp, html_policy: str) -> None:
        self.app = app
        self.html_policy = html_policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    html = any(
                        name.lower() == b"content-type" and value.startswith(b"text/html")
                        for name, value in headers
                    )
                    policy = self.html_policy if html else _NON_HTML_POLICY
                    headers.append((b"content-security-policy", policy))
                headers.extend(_ALWAYS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
