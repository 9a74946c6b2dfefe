"""A real HTTP receiver on loopback that records every request and answers as told."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]


class Receiver:
    """Answer 200 unless told otherwise; ``stop()`` then ``start()`` keeps the port."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[Answer] = deque()
        self._answers_for: list[tuple[bytes, Answer]] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        # Closed by hold(): requests are recorded, then wait for release() to be answered.
        self._gate = threading.Event()
        self._gate.set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, *answers: int | Answer) -> None:
        """Queue answers for the next requests (a status, or status, headers, body)."""
        with self._lock:
            for item in answers:
                self._answers.append(item if isinstance(item, tuple) else (item, {}, b"ok"))

    def answer_when(self, needle: bytes, answer: int | Answer) -> None:
        """Answer the first request whose body contains ``needle`` this way (once)."""
        with self._lock:
            made = answer if isinstance(answer, tuple) else (answer, {}, b"ok")
            self._answers_for.append((needle, made))

    def hold(self) -> None:
        """Be a slow receiver: answer nothing until ``release()``."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def _next(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            for index, (needle, answer) in enumerate(self._answers_for):
                if needle in received.body:
                    del self._answers_for[index]
                    return answer
            return self._answers.popleft() if self._answers else (200, {}, b"ok")

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                receiver._open.add(self.connection)

            def finish(self) -> None:
                receiver._open.discard(self.connection)
                super().finish()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, text = receiver._next(
                    Received(self.command, self.path, headers, body)
                )
                receiver._gate.wait(120)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down like a crashed receiver: refuse new connections, cut kept-alive ones."""
        for conn in list(self._open):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r.body for r in self.requests]


class Silent:
    """A listener that accepts connections and never answers: every request times out."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._held: list[Any] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self._closed.set()
        self._socket.close()
        for conn in self._held:
            conn.close()
