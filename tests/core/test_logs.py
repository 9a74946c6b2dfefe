"""Log lines: JSON with the request's id and the access log's fields, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core import logs


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What Firelane's loggers write, as JSON lines, for the duration of a test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger("firelane")
    root.addHandler(handler)
    # setLevel, not the attribute: loggers cache what they are enabled for.
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_redact_hides_query_secrets_and_credentials() -> None:
    assert (
        logs.redact("/api/v1/ingest/3?token=fli_abc&x=1") == "/api/v1/ingest/3?token=[redacted]&x=1"
    )
    assert logs.redact("Authorization: Bearer fl_secret.x") == "Authorization: Bearer [redacted]"
    assert logs.redact("?dedup_key=web-3&page=2") == "?dedup_key=web-3&page=2"


def test_the_access_log_is_json_with_the_route_and_no_token(
    anon: TestClient, json_lines: io.StringIO
) -> None:
    answer = anon.post(
        "/api/v1/ingest/7?token=fli_very-secret-token",
        json={"title": "x"},
        headers={"X-Request-ID": "req-42"},
    )
    assert answer.status_code == 401 and answer.headers["x-request-id"] == "req-42"
    text = json_lines.getvalue()
    assert "very-secret" not in text
    (line,) = [entry for entry in _lines(json_lines) if entry["logger"] == "firelane.access"]
    assert line == {
        **line,
        "level": "INFO",
        "request_id": "req-42",
        "method": "POST",
        "route": "/api/v1/ingest/{integration_id}",
        "path": "/api/v1/ingest/7?token=[redacted]",
        "status": 401,
        "client": "testclient",
    }
    assert isinstance(line["duration_ms"], float) and str(line["time"]).endswith("+00:00")
    assert "token=[redacted]" in str(line["message"])


def test_lines_logged_while_answering_carry_the_request_id(json_lines: io.StringIO) -> None:
    token = logs.request_id.set("abc")
    try:
        logging.getLogger("firelane.test").warning("with %s", "Bearer fl_x")
    finally:
        logs.request_id.reset(token)
    logging.getLogger("firelane.test").info("after")
    first, second = _lines(json_lines)
    assert (first["request_id"], first["message"], first["level"]) == (
        "abc",
        "with Bearer [redacted]",
        "WARNING",
    )
    assert second["request_id"] is None


def test_text_lines_are_redacted_too() -> None:
    formatter = logs.TextFormatter()
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": "GET /i?token=abc", "request_id": "r1"}
    )
    assert formatter.format(record).endswith("INFO x: GET /i?token=[redacted] [r1]")
