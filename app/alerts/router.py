"""Integrations (admin), alert ingestion (integration token), maintenance windows, card alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Security, status
from fastapi.responses import JSONResponse

from app.alerts import heartbeats, maintenance, queries, service
from app.alerts.dependencies import (
    INTEGRATION_TOKEN,
    BaseUrl,
    IntegrationDep,
    WindowDep,
)
from app.alerts.ingest.batch import IngestResult
from app.alerts.ingest.fastpath import accepted_body
from app.alerts.ingest.pipeline import get_pipeline
from app.alerts.ingest.receiver import receive, request_token
from app.alerts.models import MaintenanceWindow
from app.alerts.schemas import (
    AlertSignalPublic,
    HeartbeatAccepted,
    IngestAccepted,
    IntegrationCreate,
    IntegrationPublic,
    IntegrationUpdate,
    IntegrationWithToken,
    MaintenanceWindowCreate,
    MaintenanceWindowPublic,
    MaintenanceWindowUpdate,
    PagerDutyAccepted,
)
from app.auth.dependencies import Admin, Member, Viewer
from app.boards.dependencies import CardDep
from app.core.config import SettingsDep
from app.core.db import SessionDep, pk
from app.core.pagination import Cursor, Limit, Page
from app.core.schemas import Id

router = APIRouter(tags=["alerts"])
# The ingest endpoints, apart: the app includes them first, as routes are matched in turn.
ingest_router = APIRouter(tags=["alerts"])
_INTEGRATION_TOKEN = [Security(INTEGRATION_TOKEN)]

# --- integrations (admin) ---------------------------------------------------------------


@router.get("/integrations", response_model=Page[IntegrationPublic])
def list_integrations(
    session: SessionDep,
    _admin: Admin,
    base_url: BaseUrl,
    board_id: Id | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IntegrationPublic]:
    """List integrations (admin)."""
    rows, next_cursor = service.list_integrations(
        session, board_id=board_id, limit=limit, cursor=cursor
    )
    return Page(items=[service.public(row, base_url) for row in rows], next_cursor=next_cursor)


@router.post(
    "/integrations", response_model=IntegrationWithToken, status_code=status.HTTP_201_CREATED
)
def create_integration(
    data: IntegrationCreate, session: SessionDep, _admin: Admin, settings: SettingsDep
) -> IntegrationWithToken:
    """Create an integration (admin); the answer holds its token, shown this once."""
    key = settings.secret_key
    integration, token = service.create_integration(session, data=data, secret_key=key)
    return service.with_token(integration, settings.base_url, token)


@router.get("/integrations/{integration_id:int}", response_model=IntegrationPublic)
def get_integration(integration: IntegrationDep, base_url: BaseUrl) -> IntegrationPublic:
    """Read an integration (admin); its token and HMAC secret are never shown again."""
    return service.public(integration, base_url)


@router.patch("/integrations/{integration_id:int}", response_model=IntegrationPublic)
def update_integration(
    data: IntegrationUpdate, integration: IntegrationDep, session: SessionDep, settings: SettingsDep
) -> IntegrationPublic:
    """Change an integration's settings (admin)."""
    changed = service.update_integration(
        session, integration=integration, data=data, secret_key=settings.secret_key
    )
    return service.public(changed, settings.base_url)


@router.post("/integrations/{integration_id:int}/rotate-token", response_model=IntegrationWithToken)
def rotate_token(
    integration: IntegrationDep, session: SessionDep, base_url: BaseUrl
) -> IntegrationWithToken:
    """Replace an integration's token (admin); the old one is refused from now on."""
    token = service.rotate_token(session, integration=integration)
    return service.with_token(integration, base_url, token)


@router.delete("/integrations/{integration_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_integration(integration: IntegrationDep, session: SessionDep) -> None:
    """Delete an integration and its alert history (admin); its cards stay."""
    service.delete_integration(session, integration=integration)


# --- ingestion (integration token) ------------------------------------------------------


# POSTs to the two ingest endpoints are answered by ``ingest.fastpath.IngestFastPath`` before
# FastAPI routes them; these routes document them and take the paths it leaves over.


def _accepted(result: IngestResult, *, pagerduty: bool = False) -> JSONResponse:
    body = accepted_body(result, pagerduty=pagerduty)
    return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED)


@ingest_router.post(
    "/ingest/pagerduty/v2/enqueue",
    response_model=PagerDutyAccepted,
    status_code=status.HTTP_202_ACCEPTED,
)
async def ingest_pagerduty(request: Request) -> JSONResponse:
    """Take a PagerDuty Events API v2 event; ``routing_key`` is an integration token."""
    result = await receive(request, integration_id=None, pipeline=get_pipeline(request))
    return _accepted(result, pagerduty=True)


@ingest_router.post(
    "/ingest/{integration_id:int}",
    response_model=IngestAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=_INTEGRATION_TOKEN,
)
async def ingest_alerts(integration_id: Id, request: Request) -> JSONResponse:
    """Take alerts in the integration's format; 202 once they are on disk."""
    # The pipeline is read here, not as a dependency: each dependency costs every request.
    result = await receive(request, integration_id=integration_id, pipeline=get_pipeline(request))
    return _accepted(result)


_HEARTBEAT = "/ingest/{integration_id:int}/heartbeat"


# One route per method: a route with two methods gives both the same OpenAPI operation id.
@ingest_router.get(
    _HEARTBEAT,
    response_model=HeartbeatAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="heartbeat_api_v1_ingest__integration_id__heartbeat_get",
    dependencies=_INTEGRATION_TOKEN,
)
@ingest_router.post(
    _HEARTBEAT,
    response_model=HeartbeatAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="heartbeat_api_v1_ingest__integration_id__heartbeat_post",
    dependencies=_INTEGRATION_TOKEN,
)
def heartbeat(integration_id: int, request: Request, session: SessionDep) -> HeartbeatAccepted:
    """Record a heartbeat (GET or POST, same token as ingestion); resolves a missing one."""
    return heartbeats.ping(session, integration_id=integration_id, token=request_token(request))


# --- maintenance windows ----------------------------------------------------------------


def _window_page(
    session: SessionDep, rows: list[MaintenanceWindow]
) -> list[MaintenanceWindowPublic]:
    counts = maintenance.suppressed_counts(session, [pk(row) for row in rows])
    return [
        MaintenanceWindowPublic.model_validate(row).model_copy(
            update={"suppressed": counts.get(pk(row), 0)}
        )
        for row in rows
    ]


@router.get("/maintenance-windows", response_model=Page[MaintenanceWindowPublic])
def list_windows(
    session: SessionDep,
    _user: Viewer,
    integration_id: Id | None = None,
    board_id: Id | None = None,
    running: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MaintenanceWindowPublic]:
    """List maintenance windows, newest first, with how many alerts each held back."""
    rows, next_cursor = maintenance.list_windows(
        session,
        integration_id=integration_id,
        board_id=board_id,
        running=running,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=_window_page(session, rows), next_cursor=next_cursor)


@router.post(
    "/maintenance-windows",
    response_model=MaintenanceWindowPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_window(
    data: MaintenanceWindowCreate, session: SessionDep, user: Member
) -> MaintenanceWindowPublic:
    """Create a maintenance window for an integration or a board (member)."""
    window = maintenance.create_window(session, data=data, actor=user.actor)
    return _window_page(session, [window])[0]


@router.get("/maintenance-windows/{window_id:int}", response_model=MaintenanceWindowPublic)
def get_window(window: WindowDep, session: SessionDep) -> MaintenanceWindowPublic:
    """Read a maintenance window."""
    return _window_page(session, [window])[0]


@router.patch("/maintenance-windows/{window_id:int}", response_model=MaintenanceWindowPublic)
def update_window(
    data: MaintenanceWindowUpdate, window: WindowDep, session: SessionDep, _user: Member
) -> MaintenanceWindowPublic:
    """Change a window: rename it, change its matchers, or end it early (member)."""
    changed = maintenance.update_window(session, window=window, data=data)
    return _window_page(session, [changed])[0]


@router.delete("/maintenance-windows/{window_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_window(window: WindowDep, session: SessionDep, _user: Member) -> None:
    """Delete a maintenance window (member); what it suppressed stays stored."""
    maintenance.delete_window(session, window=window)


# --- a card's alerts --------------------------------------------------------------------


@router.get("/cards/{card_id:int}/alerts", response_model=Page[AlertSignalPublic])
def list_card_alerts(
    card: CardDep, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[AlertSignalPublic]:
    """List the alerts a card received, oldest first, each with its raw payload."""
    rows, next_cursor = queries.card_signals(session, card_id=pk(card), limit=limit, cursor=cursor)
    return Page(items=rows, next_cursor=next_cursor)
