"""Logging: text for a terminal or JSON lines (``FIRELANE_LOG_FORMAT``), request ids, and
never a secret.

Every process (``serve``, its HTTP processes and ingest writer, ``worker``, the other
commands) logs through one handler on the root logger. A JSON line holds ``time``,
``level``, ``logger``, ``message``, the ``request_id`` of the request being answered, and
for the access log ``method``, ``route`` (the template, never the raw path), ``path``,
``status``, ``duration_ms`` and ``client``. Messages pass through ``redact`` in both formats:
``?token=`` (ingest senders that cannot set headers) and credentials after ``Bearer`` or
``Basic`` never reach a log.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# A request id we repeat back and log: short, printable, no spaces or quotes.
_GOOD_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_SECRETS = re.compile(
    r"(?i)([?&;](?:token|access_token|api_key|apikey|key|secret|password|routing_key)=)[^&\s\"']+"
    r"|(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+"
)
# The fields of the access log, as the JSON lines name them.
ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")
_CHATTY = ("alembic", "apscheduler", "uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    """``text`` with query-string secrets and Authorization credentials replaced."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class ContextFilter(logging.Filter):
    """Give every record the id of the request it was logged under (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message``, redacted; the request id follows when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        rid = getattr(record, "request_id", None)
        return f"{text} [{rid}]" if rid else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                value = getattr(record, name)
                line[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def config(log_format: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of every Firelane process (uvicorn's too)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": {"()": formatter}},
        "handlers": {
            "main": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["main"], "level": "INFO"},
        # Migration steps, every job's every run, uvicorn's start-up notes and its own
        # access log (``RequestContext`` writes ours): warnings and errors only.
        "loggers": {
            name: {"level": "WARNING", "handlers": [], "propagate": True} for name in _CHATTY
        }
        | {"uvicorn": {"level": "INFO", "handlers": [], "propagate": True}},
    }


def configure(log_format: str) -> None:
    """Log this process's lines in ``log_format`` (``text`` or ``json``)."""
    logging.config.dictConfig(config(log_format))


def _new_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _GOOD_ID.match(text):
                return text
    return uuid.uuid4().hex


def route_template(scope: Scope, api_prefix: str) -> str:
    """The route a request matched, as the OpenAPI writes it (``/api/v1/cards/{card_id}``),
    or ``unmatched``: never the raw path, whose ids would make a label per card."""
    route: Any = scope.get("route")
    path = (getattr(route, "path", None) or "unmatched").replace(":int}", "}")
    if api_prefix and path != "unmatched" and scope["path"].startswith(api_prefix + "/"):
        path = api_prefix + path
    return path


class RequestContext:
    """Give each request an id (its ``X-Request-ID``, or a new one), answer it in that
    header, log under it, and write the access log line once the answer is sent."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True, api_prefix: str = "") -> None:
        self.app = app
        self.access_log = access_log
        self.api_prefix = api_prefix
        self.logger = logging.getLogger("firelane.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _new_id(scope["headers"])
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER.lower().encode(), rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log:
                self._log(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        path = scope["path"] + (f"?{query}" if query else "")
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "route": route_template(scope, self.api_prefix),
            "path": redact(path),
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client[0] if client else None,
        }
        self.logger.info(
            '%s "%s %s" %d %.1f ms',
            fields["client"] or "-",
            fields["method"],
            fields["path"],
            status,
            fields["duration_ms"],
            extra=fields,
        )
