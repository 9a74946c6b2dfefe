"""Integrations: create, change, rotate the token, delete. Public functions commit once."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.alerts.exceptions import (
    IntegrationNameTaken,
    IntegrationNotFound,
    InvalidIntegration,
)
from app.alerts.models import Integration
from app.alerts.schemas import (
    IntegrationCreate,
    IntegrationPublic,
    IntegrationUpdate,
    IntegrationWithToken,
)
from app.auth.credentials import hash_secret
from app.boards.models import Board, BoardColumn
from app.core.clock import now
from app.core.pagination import decode_cursor, encode_cursor, split_page
from app.core.sealing import seal

TOKEN_PREFIX = "fli_"  # noqa: S105 - a marker, not a secret
INGEST_PATH = "/api/v1/ingest"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def public(integration: Integration, base_url: str) -> IntegrationPublic:
    """Describe an integration without its secrets (the HMAC secret is never answered)."""
    ingest_url = f"{base_url}{INGEST_PATH}/{integration.id}"
    return IntegrationPublic(
        id=integration.id or 0,
        name=integration.name,
        kind=integration.kind,
        board_id=integration.board_id,
        column_id=integration.column_id,
        resolve_column_id=integration.resolve_column_id,
        severity_map=integration.severity_map,
        default_priority=integration.default_priority,
        stale_timeout_seconds=integration.stale_timeout_seconds,
        flap_window_seconds=integration.flap_window_seconds,
        field_mapping=integration.field_mapping,
        has_hmac_secret=integration.hmac_secret is not None,
        max_body_bytes=integration.max_body_bytes,
        heartbeat_interval_seconds=integration.heartbeat_interval_seconds,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        heartbeat_last_at=integration.heartbeat_last_at,
        enabled=integration.enabled,
        token_prefix=integration.token_prefix,
        ingest_url=ingest_url,
        heartbeat_url=f"{ingest_url}/heartbeat",
        created_at=integration.created_at,
        updated_at=integration.updated_at,
    )


def with_token(integration: Integration, base_url: str, token: str) -> IntegrationWithToken:
    return IntegrationWithToken(**public(integration, base_url).model_dump(), token=token)


def _check_placement(
    session: Session, board_id: int, column_id: int | None, resolve_column_id: int | None
) -> None:
    if session.get(Board, board_id) is None:
        raise InvalidIntegration(f"No board has the id {board_id}.")
    for field, column in (("column_id", column_id), ("resolve_column_id", resolve_column_id)):
        if column is None:
            continue
        found = session.get(BoardColumn, column)
        if found is None or found.board_id != board_id:
            raise InvalidIntegration(
                f"{field}: column {column} is not a column of board {board_id}."
            )


def _save(session: Session, integration: Integration) -> None:
    session.add(integration)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise IntegrationNameTaken(f"An integration named {integration.name!r} exists.") from exc


def create_integration(
    session: Session, *, data: IntegrationCreate, secret_key: str
) -> tuple[Integration, str]:
    """Create an integration; its token is returned here and never again."""
    _check_placement(session, data.board_id, data.column_id, data.resolve_column_id)
    if session.exec(select(Integration.id).where(Integration.name == data.name)).first():
        raise IntegrationNameTaken(f"An integration named {data.name!r} exists.")
    token = new_token()
    fields = data.model_dump(exclude={"field_mapping", "hmac_secret"})
    integration = Integration(
        **fields,
        hmac_secret=seal(secret_key, data.hmac_secret) if data.hmac_secret else None,
        field_mapping=data.field_mapping.model_dump(exclude_none=True)
        if data.field_mapping
        else {},
        token_hash=hash_secret(token),
        token_prefix=token[:10],
    )
    _save(session, integration)
    return integration, token


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise IntegrationNotFound()
    return integration


def list_integrations(
    session: Session, *, board_id: int | None, limit: int, cursor: str | None
) -> tuple[list[Integration], str | None]:
    """Return integrations by id, a page at a time."""
    query = select(Integration)
    if board_id is not None:
        query = query.where(Integration.board_id == board_id)
    if cursor:
        (after,) = decode_cursor(cursor, "integration", (int,))
        query = query.where(col(Integration.id) > after)
    rows = list(session.exec(query.order_by(col(Integration.id)).limit(limit + 1)))
    return split_page(rows, limit, lambda row: encode_cursor("integration", row.id))


def update_integration(
    session: Session, *, integration: Integration, data: IntegrationUpdate, secret_key: str
) -> Integration:
    """Change an integration's settings; ``null`` clears an optional one."""
    fields: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"field_mapping"})
    if "field_mapping" in data.model_fields_set:
        mapping = data.field_mapping
        fields["field_mapping"] = mapping.model_dump(exclude_none=True) if mapping else {}
    if fields.get("hmac_secret"):
        fields["hmac_secret"] = seal(secret_key, fields["hmac_secret"])
    for required in (
        "name",
        "board_id",
        "severity_map",
        "default_priority",
        "flap_window_seconds",
        "enabled",
    ):
        if required in fields and fields[required] is None:
            raise InvalidIntegration(f"{required} cannot be null.")
    if "board_id" in fields and fields["board_id"] != integration.board_id:
        # A new board: the old board's columns cannot stay.
        fields.setdefault("column_id", None)
        fields.setdefault("resolve_column_id", None)
    for name, value in fields.items():
        setattr(integration, name, value)
    _check_placement(
        session, integration.board_id, integration.column_id, integration.resolve_column_id
    )
    integration.updated_at = now()
    _save(session, integration)
    return integration


def rotate_token(session: Session, *, integration: Integration) -> str:
    """Replace the integration's token; the old one stops working at once."""
    token = new_token()
    integration.token_hash = hash_secret(token)
    integration.token_prefix = token[:10]
    integration.updated_at = now()
    _save(session, integration)
    return token


def delete_integration(session: Session, *, integration: Integration) -> None:
    """Delete an integration with its alert history; the cards it opened stay."""
    session.delete(integration)
    session.commit()
