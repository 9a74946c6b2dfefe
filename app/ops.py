"""What operators ask a running Firelane: ``/healthz``, ``/readyz`` and ``/metrics``.

``/healthz`` answers while the process is up. ``/readyz`` answers 503 with the reasons
unless the database answers, its schema is at the migrations' head, and the loops this
process runs have gone round recently (``app.core.health``). ``/metrics`` answers the
process's (or, under ``serve --workers N`` / ``--ingest-writer``, all its processes')
counters and histograms, and gauges read from the database at the scrape (``state``),
which any replica answers alike. It needs any role's token unless
``FIRELANE_METRICS_PUBLIC`` is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import Session

from app.auth.dependencies import API_TOKEN, BROWSER_SESSION, get_current_user, require_role
from app.auth.models import Role
from app.boards import metrics as board_metrics
from app.core import clock
from app.core.config import Settings, app_settings
from app.core.db import Database, get_database
from app.core.errors import error_response, install_error_handlers
from app.core.health import Ticks, problems
from app.core.metrics import exposition
from app.hooks import metrics as hook_metrics
from app.schedules import metrics as schedule_metrics

logger = logging.getLogger("firelane.ops")

# Each domain's gauges read from the database.
StateReader = Callable[[Session, datetime], Iterator[GaugeMetricFamily]]
STATE: tuple[StateReader, ...] = (board_metrics.state, hook_metrics.state, schedule_metrics.state)
# Scrapes within this many seconds of each other share one reading of the database.
STATE_CACHE_SECONDS = 5.0

router = APIRouter(tags=["ops"])


class State(Collector):
    """The gauges read from the database and the readiness, for one app's scrapes."""

    def __init__(self, db: Database, ticks: Ticks, settings: Settings) -> None:
        self.db = db
        self.ticks = ticks
        self.settings = settings
        self._lock = threading.Lock()
        self._read_at: datetime | None = None
        self._families: list[Any] = []

    def problems(self) -> list[str]:
        return problems(self.db, self.ticks, max_tick_age_seconds=self.settings.ready_tick_seconds)

    def collect(self) -> Iterator[Any]:
        with self._lock:
            at = clock.now()
            age = (at - self._read_at).total_seconds() if self._read_at else None
            if age is None or not 0 <= age < STATE_CACHE_SECONDS:
                self._families = self._read()
                self._read_at = at
            yield from self._families

    def _read(self) -> list[Any]:
        ready = GaugeMetricFamily("firelane_ready", "1 when /readyz answers 200, else 0.")
        ready.add_metric([], 0.0 if self.problems() else 1.0)
        families: list[Any] = [ready]
        try:
            with self.db.session(readonly=True) as session:
                at = clock.now()
                for reader in STATE:
                    families.extend(reader(session, at))
        except Exception:
            logger.exception("metrics: reading the database's gauges failed")
        return families


def metrics_reader(
    request: Request,
    _api_token: Annotated[HTTPAuthorizationCredentials | None, Security(API_TOKEN)] = None,
    _browser_session: Annotated[str | None, Security(BROWSER_SESSION)] = None,
) -> None:
    """Let anyone read /metrics when it is public; otherwise any authenticated role."""
    if app_settings(request).metrics_public:
        return
    with get_database(request).session(readonly=True) as session:
        require_role(Role.viewer)(get_current_user(request, session))


def ops_app(settings: Settings, db: Database, ticks: Ticks) -> FastAPI:
    """/healthz, /readyz and /metrics alone, for a process that serves nothing else
    (``firelane worker`` with FIRELANE_WORKER_LISTEN)."""
    app = FastAPI(title="Firelane worker", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = db
    app.state.metrics = CollectorRegistry()
    app.state.ticks = ticks
    app.state.ops = State(db, ticks, settings)
    install_error_handlers(app)
    app.include_router(router)
    return app


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer while the process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict[str, str] | Response:
    """Answer 200 when the database answers at the schema's head and this process's loops
    go round; 503 with the reasons otherwise."""
    found: list[str] = request.app.state.ops.problems()
    if found:
        return error_response(503, "not_ready", "; ".join(found) + ".", reasons=found)
    return {"status": "ready"}


@router.get("/metrics", response_class=Response, dependencies=[Depends(metrics_reader)])
def metrics(request: Request) -> Response:
    """Prometheus metrics (any authenticated role, unless FIRELANE_METRICS_PUBLIC is set)."""
    registry: CollectorRegistry = request.app.state.metrics
    state: State = request.app.state.ops
    return Response(exposition(registry, [state]), media_type=CONTENT_TYPE_LATEST)
