"""The FastAPI application: routers, error handling, middleware and lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

import app as package
from app.alerts.config import AlertSettings, get_alert_settings
from app.alerts.ingest.fastpath import IngestFastPath
from app.alerts.ingest.pipeline import build_pipeline
from app.alerts.router import ingest_router
from app.alerts.router import router as alerts_router
from app.auth.router import router as auth_router
from app.auth.throttle import LoginThrottle
from app.boards.live.config import get_stream_settings
from app.boards.live.tail import Tail
from app.boards.router import router as boards_router
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import ERROR_RESPONSES, install_error_handlers
from app.core.health import Ticks
from app.core.logs import RequestContext
from app.core.middleware import Metrics, RequestLimits, SecurityHeaders
from app.hooks.router import router as hooks_router
from app.jobs import start_jobs
from app.ops import State
from app.ops import router as ops_router
from app.reports.router import router as reports_router
from app.schedules.router import router as schedules_router
from app.ui.assets import frontend_dir, shell
from app.ui.docs import docs_router
from app.ui.router import router as ui_router
from app.wiring import check_wired, wire

API_PREFIX = "/api/v1"


def _tune_gc() -> None:
    """Make the garbage collector cheap for a long-running server.

    Everything alive once the app is built (modules, models, routes) is frozen out of the
    collector's sight, and young objects are collected less often: full collections over
    that heap were the main cause of slow requests (p99) under load.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(20_000, older, oldest)


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id: its function's name (``list_boards``), stable for
    generated clients; a test checks that no two operations share one."""
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    run_scheduler: bool | None = None,
    alert_settings: AlertSettings | None = None,
) -> FastAPI:
    """Build the application; the database must already be at the migrations' head.

    ``alert_settings``: ingestion's, if not read from the environment (``serve
    --ingest-writer`` names its writer's socket in them).
    """
    settings = settings or get_settings()
    owns_db = db is None
    database = db or Database.from_url(settings.database_url, echo=settings.sql_echo)
    start_scheduler = settings.scheduler if run_scheduler is None else run_scheduler
    wire()
    check_wired()
    ticks = Ticks()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owns_db:  # a server process of its own (tests pass their database in)
            _tune_gc()
        stop_jobs = start_jobs(database, settings, ticks=ticks) if start_scheduler else None
        try:
            yield
        finally:
            app.state.live_tail.stop()
            if stop_jobs is not None:
                stop_jobs()
            if owns_db:
                database.dispose()

    app = FastAPI(
        title="Firelane",
        version=package.__version__,
        description="Work tracker for operations teams.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored files below, not from a CDN
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.metrics = CollectorRegistry()
    pipeline = build_pipeline(database, settings, alert_settings or get_alert_settings())
    app.state.alert_pipeline = pipeline
    app.state.ticks = ticks
    app.state.ops = State(database, ticks, settings)
    app.state.login_throttle = LoginThrottle(
        per_name=settings.login_attempts,
        per_address=settings.login_attempts_per_address,
        window_minutes=settings.login_window_minutes,
    )
    streams = get_stream_settings()
    app.state.live_tail = Tail(
        database, poll_seconds=streams.poll_seconds, coalesce_seconds=streams.coalesce_seconds
    )
    install_error_handlers(app)
    app.include_router(ops_router, responses=ERROR_RESPONSES)
    # Alert ingestion first: routes are matched in turn, and it is the busiest path.
    for router in (
        ingest_router,
        auth_router,
        boards_router,
        schedules_router,
        hooks_router,
        alerts_router,
        reports_router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # Innermost: answers alert ingestion before FastAPI routes it (the busiest path).
    app.add_middleware(IngestFastPath, pipeline=pipeline, prefix=API_PREFIX)
    app.add_middleware(Metrics, registry=app.state.metrics, api_prefix=API_PREFIX)
    app.add_middleware(RequestLimits, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, html_policy=shell().csp)
    # Outermost: every answer, refusals by the limits included, carries its request id.
    app.add_middleware(RequestContext, access_log=settings.access_log, api_prefix=API_PREFIX)
    # The browser UI: pages answer one shell; its modules, styles and vendored files are static.
    app.include_router(ui_router)
    app.include_router(docs_router(title=app.title, openapi_url=app.openapi_url or ""))
    app.mount("/static", StaticFiles(directory=frontend_dir()), name="static")
    return app
