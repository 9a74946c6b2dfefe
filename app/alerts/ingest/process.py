"""Run the writer process beside the HTTP processes (``firelane serve --workers N``).

``WriterProcess`` starts the ingest writer (``firelane ingest-writer``, which runs
``writer.run``) in a process of its own, waits
until its socket answers, and starts it again if it dies; while it is gone, ingest
requests get a 503, which senders retry. The caller decides what else runs: the HTTP
processes find the writer through ``FIRELANE_ALERTS_WRITER_SOCKET``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from app.alerts.ingest.codec import socket_dir

logger = logging.getLogger("firelane.alerts.serving")

WRITER_SOCKET_ENV = "FIRELANE_ALERTS_WRITER_SOCKET"
# The writer is started again after a crash, at most this often.
# A writer that dies is started again at once; one that keeps dying, less and less often.
_RESTART_SECONDS = (0.0, 0.0, 0.0, 1.0, 2.0, 5.0)
_STEADY_SECONDS = 10.0  # a writer up this long starts the count again


def answers(path: str) -> bool:
    """Whether a writer accepts connections at ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
        return True


class WriterProcess:
    """Keep one writer process running: ``command`` followed by the socket's path.

    A spare writer waits beside it, loaded (Python, Firelane, the database's engine): when
    the writer dies, the spare starts listening at once and a new spare is made. Starting
    a writer from nothing takes a second or more (several on a host busy with the load
    that killed it), all of it answered ``503 writer_unavailable``.
    """

    def __init__(self, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        self._command = list(command)
        self._env = env
        self._dir = socket_dir()
        self.path = str(Path(self._dir) / "writer.sock")
        self._process: subprocess.Popen[bytes] | None = None
        self._spare: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _spawn(self, *, standby: bool = False) -> subprocess.Popen[bytes]:
        # The writer stops by itself if this process dies without stopping it (a spare
        # when its standard input ends).
        command = [*self._command, self.path, "--parent", str(os.getpid())]
        if standby:
            command.append("--standby")
        stdin = subprocess.PIPE if standby else None
        return subprocess.Popen(command, env=self._env, stdin=stdin)  # noqa: S603 - ours

    def _take_over(self) -> subprocess.Popen[bytes]:
        """The spare, told to listen, if it is alive; otherwise a writer started afresh."""
        spare, self._spare = self._spare, self._spawn(standby=True)
        if spare is not None and spare.poll() is None and spare.stdin is not None:
            try:
                spare.stdin.write(b"go\n")
                spare.stdin.flush()
                return spare
            except OSError:
                pass
        return self._spawn()

    def start(self, *, timeout: float = 60.0) -> None:
        """Start the writer; return once its socket answers."""
        self._process = self._spawn()
        deadline = time.monotonic() + timeout
        while not answers(self.path):
            if self._process.poll() is not None:
                raise RuntimeError("the ingest writer process exited at start; see its log")
            if time.monotonic() > deadline:
                self._process.kill()
                raise RuntimeError("the ingest writer process did not start in time")
            time.sleep(0.05)
        self._spare = self._spawn(standby=True)
        self._watcher = threading.Thread(
            target=self._watch, name="firelane-writer-watch", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        crashes = 0
        started = time.monotonic()
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()  # stop() ends it, which ends this wait
            if self._stopping.is_set():
                return
            crashes = 0 if time.monotonic() - started > _STEADY_SECONDS else crashes + 1
            delay = _RESTART_SECONDS[min(crashes, len(_RESTART_SECONDS)) - 1] if crashes else 0.0
            logger.error("the ingest writer exited (code %s); starting it again", code)
            self._stopping.wait(delay)
            if not self._stopping.is_set():
                started = time.monotonic()
                self._process = self._take_over()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop the writer (it finishes the batch in hand) and remove its socket."""
        self._stopping.set()
        self._end(self._process, timeout)  # which ends the watcher's wait
        if self._watcher is not None:
            self._watcher.join()
        self._end(self._process, timeout)  # one the watcher started meanwhile
        self._end(self._spare, timeout)
        with contextlib.suppress(OSError):
            shutil.rmtree(self._dir)

    @staticmethod
    def _end(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
