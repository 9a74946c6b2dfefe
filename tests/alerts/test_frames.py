"""What crosses the writer's socket comes out as it went in."""

from __future__ import annotations

from datetime import UTC, datetime

from app.alerts.exceptions import IngestUnauthorized
from app.alerts.ingest.batch import IngestResult, IngestWork
from app.alerts.ingest.codec import (
    FrameBuffer,
    answers_frame,
    read_answers,
    read_request,
    request_frame,
)
from app.alerts.sources.base import Link, NormalisedAlert


def _alert(**changes: object) -> NormalisedAlert:
    alert = NormalisedAlert(
        source="alertmanager",
        key="fp-1",
        status="resolved",
        title="Disk full on db-1 — ünïcode",
        severity="critical",
        description="Only 2% left",
        labels={"alertname": "DiskFull", "instance": "db-1"},
        annotations={"summary": "Disk full"},
        starts_at=datetime(2026, 11, 26, 8, 14, 30, 123456, tzinfo=UTC),
        ends_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        links=[Link("runbook", "https://runbooks.example.com/disk")],
        key_generated=True,
    )
    for name, value in changes.items():
        setattr(alert, name, value)
    return alert


def test_a_request_crosses_the_socket_whole() -> None:
    work = IngestWork(
        integration_id=7,
        token_hash="ab" * 32,
        alerts=[_alert(), _alert(key="fp-2", starts_at=None, ends_at=None, links=[])],
        body='{"alerts": []}',
        truncated=True,
        size_bytes=1234,
        content_type="application/json",
    )
    buffer = FrameBuffer()
    frame = request_frame(41, work) + request_frame(42, IngestWork(1, "", [], ""))
    # Split anywhere: the buffer hands out only whole frames.
    assert buffer.feed(frame[:10]) == []
    first, second = (read_request(message) for message in buffer.feed(frame[10:]))
    assert first == (41, work)
    assert second == (42, IngestWork(1, "", [], ""))


def test_answers_cross_the_socket_whole() -> None:
    result = IngestResult(accepted=2, cards=[3, 4], suppressed=1, ignored=0, keys=["a", "b"])
    refused = IngestUnauthorized()
    (message,) = FrameBuffer().feed(answers_frame([(1, result), (2, refused)]))
    (first, got), (second, error) = read_answers(message)
    assert (first, got) == (1, result)
    assert second == 2
    assert isinstance(error, IngestUnauthorized)
    assert error.body() == refused.body() and error.status_code == 401
