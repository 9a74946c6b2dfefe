"""ASGI middleware: request limits and request metrics, both cheap on the hot path."""

from __future__ import annotations

import re
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError, InvalidUrl, JsonTooDeep, PayloadTooLarge, render
from app.core.logs import route_template

# Deeper JSON is refused before any parser sees it: Python's parser overflows its stack
# at ~1,000 levels, orjson refuses to write more than 255, and no payload needs 64.
MAX_JSON_DEPTH = 64
# A JSON string (escapes included), or a bracket outside strings.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects more than ``limit`` deep (if it is JSON).

    Cheap for the usual body: fewer opening brackets than the limit cannot nest deeper.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: AppError) -> None:
    response = render(exc)
    response.headers["connection"] = "close"
    await response(scope, receive, send)


class RequestLimits:
    """Refuse what no route should start on, before any route sees it, for every route:

    - a NUL character in the path or query (400 ``invalid_url``: no store holds one);
    - a body over ``limit`` bytes, declared or streamed (413 ``payload_too_large``);
    - a body nesting JSON arrays and objects deeper than ``MAX_JSON_DEPTH`` (400
      ``json_too_deep``), whatever its content type.

    The body is read here (up to the limit) and handed on whole.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            await _refuse(scope, receive, send, InvalidUrl())
            return
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        too_large = f"The body exceeds {self.limit} bytes."
        if declared is not None and declared > self.limit:
            await _refuse(scope, receive, send, PayloadTooLarge(too_large))
            return
        if declared == 0 or (declared is None and scope["method"] in ("GET", "HEAD", "OPTIONS")):
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
                await _refuse(scope, receive, send, PayloadTooLarge(too_large))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_too_deep(body):
            detail = f"The body nests JSON more than {MAX_JSON_DEPTH} levels deep."
            await _refuse(scope, receive, send, JsonTooDeep(detail))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
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
            path = route_template(scope, self.api_prefix)
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
