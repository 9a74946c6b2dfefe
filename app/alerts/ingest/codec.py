"""Length-prefixed frames between the HTTP processes and the ingest writer process.

A frame is a 4-byte big-endian length, then that many bytes of pickle. Requests and
results travel as tuples of plain values (``request_frame``, ``answers_frame``):
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
from typing import Any

from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
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
    return encode((request_id, work.to_wire()))


def read_request(message: tuple[Any, Any]) -> tuple[Any, IngestWork]:
    request_id, values = message
    return request_id, IngestWork.from_wire(values)


def answers_frame(pairs: Sequence[tuple[Any, Outcome]]) -> bytes:
    """The frame the writer sends back: each request's result (plain values) or error."""
    return encode(
        [
            (request_id, outcome.to_wire() if isinstance(outcome, IngestResult) else outcome)
            for request_id, outcome in pairs
        ]
    )


def read_answers(message: list[tuple[Any, Any]]) -> list[tuple[Any, Outcome]]:
    return [
        (request_id, outcome if isinstance(outcome, AppError) else IngestResult(*outcome))
        for request_id, outcome in message
    ]


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
