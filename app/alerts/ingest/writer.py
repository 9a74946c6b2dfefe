"""The ingest writer process: one process stores what every HTTP process receives.

A writer thread inside an HTTP process competes with its event loop for the interpreter
lock, and the writers of several HTTP processes compete for the database. Instead,
``firelane serve --ingest-writer`` (or ``--workers N``) starts one writer process: the
HTTP processes authenticate, parse and normalise, send each request's work over a Unix
socket (``codec``), and answer only when the writer says the batch holding it is
committed. The writer batches what all of them sent into one transaction
(``committer.settle_batch``) and does nothing else, so it has a core to itself.

The loop reads every frame that arrived, stores them as one batch, queues the answers,
repeats. Requests arriving while a batch is stored wait in the socket buffers and form the
next batch. On PostgreSQL (``committer.CommitAhead``) the loop sends a batch's COMMIT
without waiting for it and goes on with the next batch's statements; a second thread
waits for the COMMIT's answer and then sends the batch's answers itself, under a lock the
loop's own sends take too. What a socket did not take at once the loop sends, woken by a
byte on a socket pair (as it is to finish the committed batch's session).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import selectors
import signal
import socket
import stat
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.alerts.ingest.batch import IngestWork, Outcome
from app.alerts.ingest.codec import FrameBuffer, answers_frame, read_request
from app.alerts.ingest.committer import (
    MAX_BATCH,
    CommitAhead,
    Runner,
    WriterLock,
    run_batch,
    settle_batch,
)
from app.core.db import Database

logger = logging.getLogger("firelane.alerts.writer")

# How often an idle writer checks that it should still run (stop asked, parent gone).
_TICK_SECONDS = 1.0
_READ_SIZE = 1 << 20
_WAKE = object()  # the selector's key for the socket the committing thread wakes us by


@dataclass(slots=True, eq=False)
class _Peer:
    """One HTTP process's connection: what it sent so far, what we owe it."""

    sock: socket.socket
    frames: FrameBuffer = field(default_factory=FrameBuffer)
    out: bytearray = field(default_factory=bytearray)
    closed: bool = False


def listen(path: str) -> socket.socket:
    """Bind the writer's socket at ``path`` (only this user may connect)."""
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    Path(path).chmod(stat.S_IRUSR | stat.S_IWUSR)
    listener.listen(128)
    listener.setblocking(False)
    return listener


class Writer:
    """Serve HTTP processes' ingest work on a listening Unix socket, in batches."""

    def __init__(
        self,
        db: Database,
        listener: socket.socket,
        *,
        max_batch: int = MAX_BATCH,
        runner: Runner = run_batch,
        commit_ahead: bool | None = None,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self._runner = runner
        self._listener = listener
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._waiting: deque[tuple[_Peer, Any, IngestWork]] = deque()
        self._lock = WriterLock(db)
        self._running = True
        if commit_ahead is None:
            commit_ahead = db.dialect == "postgresql" and runner is run_batch
        self._ahead: CommitAhead[_Peer, Any] | None = None
        # The committing thread sends answers itself, under this lock (the loop's sends and
        # drops take it too); a connection it could not finish goes in _done for the loop.
        self._out = threading.RLock()
        self._done: deque[_Peer] = deque()
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        if commit_ahead:
            self._ahead = CommitAhead(db, self._queue_answer, wake=self._wake)
            self._selector.register(self._wake_in, selectors.EVENT_READ, _WAKE)

    def stop(self) -> None:
        self._running = False

    def serve(self, *, parent: int | None = None) -> None:
        """Run until ``stop()``, or until the process ``parent`` is gone."""
        try:
            while self._running:
                self._poll(0 if self._waiting else _TICK_SECONDS)
                self._deliver()
                if self._ahead is not None:
                    self._ahead.reap()
                if self._waiting:
                    self._store_batch()
                elif parent is not None and os.getppid() != parent:
                    logger.info("the serving process is gone: the writer stops")
                    return
        finally:
            if self._ahead is not None:
                self._ahead.close()  # the batch committing ends and is answered
                self._deliver()
            self._close()

    def _poll(self, timeout: float) -> None:
        for key, mask in self._selector.select(timeout):
            if key.data is None:
                self._accept()
                continue
            if key.data is _WAKE:
                with contextlib.suppress(BlockingIOError):
                    self._wake_in.recv(4096)
                continue
            peer: _Peer = key.data
            if mask & selectors.EVENT_READ:
                self._read(peer)
            if mask & selectors.EVENT_WRITE and not peer.closed:
                self._send(peer)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ, _Peer(sock))

    def _read(self, peer: _Peer) -> None:
        while True:
            try:
                chunk = peer.sock.recv(_READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._drop(peer)  # what it sent is still stored: its answers go nowhere
                return
            try:
                requests = [read_request(message) for message in peer.frames.feed(chunk)]
            except Exception:
                logger.exception("an HTTP process sent a frame that cannot be read")
                self._drop(peer)
                return
            for request_id, work in requests:
                self._waiting.append((peer, request_id, work))

    def _store_batch(self) -> None:
        count = min(len(self._waiting), self.max_batch)
        batch = [self._waiting.popleft() for _ in range(count)]
        if self._ahead is not None:
            self._ahead.store(batch)
        else:
            settle_batch(self.db, self._lock, batch, self._answer, runner=self._runner)

    def _answer(self, peer: _Peer, pairs: list[tuple[Any, Outcome]]) -> None:
        if not peer.closed:  # nobody waits on a connection that closed meanwhile
            peer.out += answers_frame(pairs)
            self._send(peer)

    def _queue_answer(self, peer: _Peer, pairs: list[tuple[Any, Outcome]]) -> None:
        """The committing thread's ``_answer``: send what the socket takes at once; the
        loop sends the rest (or drops a connection that failed), woken for it."""
        with self._out:
            if peer.closed:
                return
            peer.out += answers_frame(pairs)
            with contextlib.suppress(OSError):  # the loop meets it again, and drops it
                self._flush(peer)
            if not peer.out:
                return
            self._done.append(peer)
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_out.send(b"\0")

    def _deliver(self) -> None:
        while self._done:
            self._send(self._done.popleft())

    @staticmethod
    def _flush(peer: _Peer) -> None:
        """Send what ``peer`` is owed, as much as its socket takes now; OSError if the
        connection failed."""
        while peer.out:
            try:
                sent = peer.sock.send(peer.out)
            except BlockingIOError:
                return
            del peer.out[:sent]

    def _send(self, peer: _Peer) -> None:
        with self._out:
            if peer.closed:
                return
            try:
                self._flush(peer)
            except OSError:
                self._drop(peer)
                return
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if peer.out else 0)
            self._selector.modify(peer.sock, events, peer)

    def _drop(self, peer: _Peer) -> None:
        with self._out:  # never while the committing thread sends on its socket
            if peer.closed:
                return
            peer.closed = True
            self._selector.unregister(peer.sock)
            peer.sock.close()

    def _close(self) -> None:
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, _Peer):
                self._drop(key.data)
        self._selector.close()
        self._listener.close()
        self._wake_in.close()
        self._wake_out.close()


def run(database_url: str, path: str, *, parent: int | None = None, standby: bool = False) -> None:
    """Open the database, listen at ``path`` and store ingest work until SIGTERM.

    Ctrl-C is left to the serving process: it stops the writer once the HTTP processes
    have answered the requests they hold (which wait for the writer). A ``standby`` writer
    loads everything, then waits for a line on its standard input before it listens (the
    serving process's spare, ready to take over at once from a writer that died); the end
    of its input (the serving process is gone) ends it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    db = Database.from_url(database_url)
    if standby and not sys.stdin.buffer.readline():
        db.dispose()
        return
    listener = listen(path)
    # Which process listens (the first writer, or a spare that took over): for operators.
    Path(path).with_suffix(".pid").write_text(f"{os.getpid()}\n")
    writer = Writer(db, listener)
    # As in the API processes (app.main): full collections were the slow batches.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, *gc.get_threshold()[1:])
    signal.signal(signal.SIGTERM, lambda _signum, _frame: writer.stop())
    logger.info("ingest writer listening on %s", path)
    try:
        writer.serve(parent=parent)
    finally:
        db.dispose()
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()
