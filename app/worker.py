"""A dedicated process for the scheduler and background jobs (``firelane worker``).

SIGTERM (or Ctrl+C) stops it the way ``serve`` stops: no job starts and nothing more is
claimed, webhook sends in flight get ``FIRELANE_STOP_GRACE_SECONDS`` to finish and be
recorded, the claims of the rest are released, and the process exits 0.

With ``FIRELANE_WORKER_LISTEN`` (``host:port``) it answers /healthz, /readyz (its scheduler
and delivery loop go round) and /metrics there, from a thread.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from app.core import logs
from app.core.config import Settings
from app.core.db import Database
from app.core.health import Ticks
from app.jobs import start_jobs
from app.ops import ops_app
from app.wiring import wire

logger = logging.getLogger("firelane.worker")


def run(settings: Settings, *, ticks: Ticks | None = None) -> None:
    """Run every periodic job and the delivery loop until SIGTERM or SIGINT."""
    wire()
    stopping = threading.Event()

    def ask_to_stop(signum: int, _frame: object) -> None:
        logger.info("worker: %s received, stopping", signal.Signals(signum).name)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, ask_to_stop)
    db = Database.from_url(settings.database_url)
    ticks = ticks or Ticks()
    try:
        stop_jobs = start_jobs(db, settings, ticks=ticks)
        stop_listening = _listen(settings, db, ticks) if settings.worker_listen else None
        logger.info("worker started")
        try:
            while not stopping.wait(3600):
                pass
        finally:
            stop_jobs()
            if stop_listening is not None:
                stop_listening()
    finally:
        db.dispose()
    logger.info("worker stopped")


def _listen(settings: Settings, db: Database, ticks: Ticks) -> Callable[[], None]:
    """Answer /healthz, /readyz and /metrics at FIRELANE_WORKER_LISTEN; return how to stop."""
    import uvicorn

    assert settings.worker_listen is not None
    host, _, port = settings.worker_listen.rpartition(":")
    options: dict[str, Any] = {"log_config": logs.config(settings.log_format), "log_level": None}
    server = uvicorn.Server(
        uvicorn.Config(
            ops_app(settings, db, ticks), host=host.strip("[]"), port=int(port), **options
        )
    )
    thread = threading.Thread(target=server.run, name="worker-http", daemon=True)
    thread.start()
    logger.info("worker answers /healthz, /readyz and /metrics on %s", settings.worker_listen)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return stop
