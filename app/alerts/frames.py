"""Length-prefixed frames between the HTTP processes and the ingest writer process.

A frame is a 4-byte big-endian length, then that many bytes of pickle. Pickle is safe
here only because both ends are Firelane processes of one installation: the socket
lives in a directory only its user can enter (``socket_dir``), so nobody else can
send a frame.
"""

from __future__ import annotations

import os
import pickle
import struct
import tempfile
from typing import Any

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
