"""Domain errors and the one handler that renders them.

Every error leaves the API as ``{"error": "<stable_code>", "detail": "<sentence>"}``
with the status its class carries. The tree:

    AppError (400 bad_request)
    ├── BadRequest (400)          malformed input the schema cannot express
    ├── NotAuthenticated (401)    no or wrong credentials
    ├── Forbidden (403)           authenticated, but the role does not allow it
    ├── NotFound (404)            unknown id
    ├── Conflict (409)            the state changed or a rule forbids it (versions, WIP)
    ├── PayloadTooLarge (413)
    ├── TooManyRequests (429)     slow down; ``Retry-After`` says for how long
    ├── InvalidInput (422)        well-formed but unacceptable values
    └── Unavailable (503)         a transient store failure; the sender may retry

Domain packages subclass these in their ``exceptions.py`` with their own codes.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

logger = logging.getLogger("firelane.errors")


class AppError(Exception):
    """Base of every expected failure; carries its HTTP status and stable code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "The request could not be processed."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.message
        self.extra = extra
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}

    headers: ClassVar[dict[str, str] | None] = None

    def response_headers(self) -> dict[str, str]:
        """The headers its answer carries."""
        return dict(self.headers or {})


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message = "Authentication is required: send a Bearer token or log in."
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "Your role does not allow this."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "No such resource."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "The request body is larger than this server accepts."


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"
    message = "Too many requests; retry later."

    def __init__(self, detail: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, retry_after)

    def response_headers(self) -> dict[str, str]:
        return {**super().response_headers(), "Retry-After": str(self.retry_after)}


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"
    message = "A value in the request is not acceptable."

    def body(self) -> dict[str, Any]:
        # Every 422 names the fields at fault; a rule across fields names none.
        return {"fields": [], **super().body()}


class Unavailable(AppError):
    status_code = 503
    code = "store_unavailable"
    message = "The database is busy or unreachable; retry shortly."


class InvalidUrl(BadRequest):
    code = "invalid_url"
    message = "The URL holds a NUL character (%00)."


class JsonTooDeep(BadRequest):
    code = "json_too_deep"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The cursor is not one this list handed out."


class ErrorBody(BaseModel):
    """Every error answer; some add fields of their own (e.g. 409 version_conflict: current)."""

    error: str = Field(description="A stable code, e.g. card_not_found.")
    detail: str = Field(description="A sentence for people.")


class FieldError(BaseModel):
    loc: str = Field(description="Where: a dotted path such as body.title or query.limit.")
    msg: str


class InvalidBody(ErrorBody):
    """A 422: the request is well-formed but a value is not acceptable."""

    fields: list[FieldError] = Field(description="The values at fault, when the error has any.")


_ANSWERS = {
    400: "Malformed: invalid JSON, JSON nested too deep, a NUL in the URL, a bad cursor.",
    401: "No or wrong credentials.",
    403: "The role does not allow this, or a cookie session's write without its CSRF token.",
    404: "No such resource.",
    409: "The state changed or a rule forbids it (a stale version, a WIP limit, the last admin).",
    413: "The body is larger than this server accepts.",
    422: "A value is not acceptable; fields says which.",
    429: "Too many requests; Retry-After says when to try again.",
    503: "The store (or the ingest writer) is busy or unreachable; retry shortly.",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": InvalidBody if status == 422 else ErrorBody, "description": description}
    for status, description in _ANSWERS.items()
}
"""The error answers every operation declares in the OpenAPI, in the one error shape."""


def render(exc: AppError) -> JSONResponse:
    """The answer of an expected error: its status, its body and its headers.

    The one renderer: the exception handlers, the ingest fast path and the request-limit
    middleware all answer with it (the fast path and middleware sit before FastAPI's
    handlers, so they call it themselves).
    """
    headers = exc.response_headers()
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers or None)


def error_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """The answer of a failure that is no ``AppError`` (validation, routing, a bug)."""
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        ctx = errors[0].get("ctx") or {}
        return error_response(
            400, "invalid_json", f"The body is not valid JSON ({ctx.get('error', 'parse error')})."
        )
    fields = [{"loc": _location(err.get("loc", ())), "msg": str(err.get("msg"))} for err in errors]
    first = fields[0] if fields else {"loc": "request", "msg": "invalid"}
    detail = f"{first['loc']}: {first['msg']}"
    if len(fields) > 1:
        detail += f" (and {len(fields) - 1} more)"
    return error_response(422, "validation_error", detail, fields=fields[:20])


_HTTP_CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


_ID = re.compile(r"\{(\w+_id)\}")


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI lists for the request's path (Starlette names only the
    first route's, and FastAPI makes a route per method)."""
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
        # Ids in paths are digits (``{card_id:int}`` in the routes; the OpenAPI drops ":int").
        table = [
            (compile_path(_ID.sub(r"{\1:int}", path))[0], [m.upper() for m in ops])
            for path, ops in paths.items()
        ]
        request.app.state.allowed_methods = table
    path = request.scope["path"]
    return ", ".join(sorted({m for regex, methods in table if regex.match(path) for m in methods}))


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, in the one JSON shape."""

    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return render(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource."
        response = error_response(exc.status_code, code, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = _allowed_methods(request)
        return response

    @app.exception_handler(OperationalError)
    async def _store(_request: Request, exc: OperationalError) -> JSONResponse:
        logger.warning("store unavailable: %s", exc.orig)
        return error_response(503, Unavailable.code, Unavailable.message)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "An unexpected error occurred; it is a bug.")
