"""The wire format between the HTTP processes and the ingest writer process, both ways.

A frame is a 4-byte big-endian length, then that many bytes of pickle. Requests and
results travel as tuples of plain values (``request_frame``, ``answers_frame``; the
``*_values`` and ``*_of`` pairs below are the only place those tuples are spelt out):
pickling the dataclasses themselves cost several times more. Pickle is safe
here only because both ends are Firelane processes of one installation: the socket
lives in a directory only its user can enter (``socket_dir``), so nobody else can
send a frame.
"""

from __future__ import annotations

import os
import pickle
import struct
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
from app.alerts.sources.base import Link, NormalisedAlert
from app.core.errors import AppError

_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size
# A frame holds one request's normalised alerts (bodies are cut to the stored size).
MAX_FRAME = 64 * 1024 * 1024


class FrameTooLarge(ValueError):
    pass


def encode(message: Any) -> bytes:
    """One frame holding ``message``."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > MAX_FRAME:
        raise FrameTooLarge(f"a frame of {len(data)} bytes is over {MAX_FRAME}")
    return _HEADER.pack(len(data)) + data


def request_frame(request_id: int, work: IngestWork) -> bytes:
    """The frame an HTTP process sends: one request's work, as plain values."""
    return encode((request_id, work_values(work)))


def read_request(message: tuple[Any, Any]) -> tuple[Any, IngestWork]:
    request_id, values = message
    return request_id, work_of(values)


def answers_frame(pairs: Sequence[tuple[Any, Outcome]]) -> bytes:
    """The frame the writer sends back: each request's result (plain values) or error."""
    return encode(
        [
            (request_id, result_values(outcome) if isinstance(outcome, IngestResult) else outcome)
            for request_id, outcome in pairs
        ]
    )


def read_answers(message: list[tuple[Any, Any]]) -> list[tuple[Any, Outcome]]:
    return [
        (request_id, outcome if isinstance(outcome, AppError) else IngestResult(*outcome))
        for request_id, outcome in message
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime | None) -> int | None:
    return None if value is None else (value - _EPOCH) // _MICROSECOND


def _from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def alert_values(alert: NormalisedAlert) -> tuple[Any, ...]:
    """An alert's fields as plain values, in order (times as microseconds since the
    epoch, pickled faster than aware datetimes)."""
    links = [(link.rel, link.url) for link in alert.links]
    return (
        alert.source, alert.key, alert.status, alert.title, alert.severity, alert.description,
        alert.labels, alert.annotations, _micros(alert.starts_at), _micros(alert.ends_at), links,
        alert.key_generated,
    )  # fmt: skip


def alert_of(values: tuple[Any, ...]) -> NormalisedAlert:
    """The alert ``alert_values`` gave."""
    source, key, status, title, severity, description, labels, annotations, *times = values
    starts_at, ends_at, links, key_generated = times
    return NormalisedAlert(
        source,
        key,
        status,
        title,
        severity,
        description,
        labels,
        annotations,
        _from_micros(starts_at),
        _from_micros(ends_at),
        [Link(rel, url) for rel, url in links],
        key_generated,
    )


def work_values(work: IngestWork) -> tuple[Any, ...]:
    """One request's work as plain values."""
    alerts = [alert_values(alert) for alert in work.alerts]
    return (
        work.integration_id, work.token_hash, alerts, work.body, work.truncated,
        work.size_bytes, work.content_type,
    )  # fmt: skip


def work_of(values: tuple[Any, ...]) -> IngestWork:
    """The work ``work_values`` gave."""
    integration_id, token_hash, alerts, *rest = values
    return IngestWork(integration_id, token_hash, [alert_of(each) for each in alerts], *rest)


def result_values(result: IngestResult) -> tuple[Any, ...]:
    """A result as plain values (``IngestResult(*values)`` reads them back); its
    ``actions`` stay with the writer, whose metrics count them."""
    return (result.accepted, result.cards, result.suppressed, result.ignored, result.keys)


def frame_length(header: bytes) -> int:
    """The length a frame header announces."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise FrameTooLarge(f"a frame of {length} bytes is over {MAX_FRAME}")
    return int(length)


def decode(data: bytes | bytearray | memoryview) -> Any:
    """The message of a frame's body."""
    return pickle.loads(data)  # noqa: S301 - from our own processes only (see module doc)


class FrameBuffer:
    """Collect bytes as they arrive; hand out the complete frames' messages."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        self._data += chunk
        messages: list[Any] = []
        start = 0
        data = self._data
        while len(data) - start >= HEADER_SIZE:
            length = frame_length(bytes(data[start : start + HEADER_SIZE]))
            end = start + HEADER_SIZE + length
            if len(data) < end:
                break
            messages.append(decode(bytes(data[start + HEADER_SIZE : end])))
            start = end
        if start:
            del data[:start]
        return messages


def socket_dir() -> str:
    """A new directory only this user can enter, for the writer's socket."""
    return tempfile.mkdtemp(prefix="firelane-writer-", dir=os.environ.get("XDG_RUNTIME_DIR"))
