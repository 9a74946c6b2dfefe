"""Webhooks, rules, deliveries and the event catalogue (admins manage; viewers read events)."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.dependencies import Admin, Viewer
from app.core.db import DatabaseDep, SessionDep
from app.core.pagination import Cursor, Limit, Page
from app.core.schemas import Id
from app.hooks import service
from app.hooks.catalogue import EVENT_TYPES
from app.hooks.dependencies import DeliveryDep, RuleDep, SecretKey, WebhookDep
from app.hooks.models import DeliveryStatus, RunOutcome
from app.hooks.schemas import (
    AttemptPublic,
    DeliveryDetail,
    DeliveryPublic,
    EventTypePublic,
    RuleCreate,
    RulePublic,
    RuleRunPublic,
    RuleUpdate,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(tags=["hooks"])


@router.get("/event-types", response_model=Page[EventTypePublic])
def list_event_types(_user: Viewer) -> Page[EventTypePublic]:
    """List the events rules and webhooks can use, with each payload's JSON schema."""
    items = [
        EventTypePublic(
            name=e.name,
            version=e.version,
            when=e.when,
            about_a_card=e.card,
            data_schema=e.data.model_json_schema(),
        )
        for e in EVENT_TYPES
    ]
    return Page(items=items)


# --- webhooks ------------------------------------------------------------------------


@router.post("/webhooks", response_model=WebhookWithSecret, status_code=status.HTTP_201_CREATED)
def create_webhook(
    data: WebhookCreate, session: SessionDep, admin: Admin, key: SecretKey
) -> WebhookWithSecret:
    """Subscribe a URL to events (admin); the answer holds the secret, shown only this once."""
    webhook, secret = service.create_webhook(session, data=data, actor=admin, secret_key=key)
    return WebhookWithSecret(**WebhookPublic.model_validate(webhook).model_dump(), secret=secret)


@router.get("/webhooks", response_model=Page[WebhookPublic])
def list_webhooks(
    session: SessionDep, _admin: Admin, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookPublic]:
    """List webhooks (admin)."""
    rows, next_cursor = service.list_webhooks(session, limit=limit, cursor=cursor)
    return Page(items=[WebhookPublic.model_validate(w) for w in rows], next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id:int}", response_model=WebhookPublic)
def get_webhook(webhook: WebhookDep) -> WebhookPublic:
    """Read a webhook (admin); its secret is never shown again."""
    return WebhookPublic.model_validate(webhook)


@router.patch("/webhooks/{webhook_id:int}", response_model=WebhookPublic)
def update_webhook(
    data: WebhookUpdate, webhook: WebhookDep, session: SessionDep, key: SecretKey
) -> WebhookPublic:
    """Change a webhook's URL, events, board, description, state or secret (admin)."""
    updated = service.update_webhook(session, webhook=webhook, data=data, secret_key=key)
    return WebhookPublic.model_validate(updated)


@router.post("/webhooks/{webhook_id:int}/secret", response_model=WebhookWithSecret)
def rotate_webhook_secret(
    webhook: WebhookDep, session: SessionDep, key: SecretKey
) -> WebhookWithSecret:
    """Give a webhook a new random secret (admin), shown only in this answer."""
    secret = service.rotate_secret(session, webhook=webhook, secret_key=key)
    return WebhookWithSecret(**WebhookPublic.model_validate(webhook).model_dump(), secret=secret)


@router.delete("/webhooks/{webhook_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook: WebhookDep, session: SessionDep) -> None:
    """Delete a webhook with its delivery log (admin)."""
    service.delete_webhook(session, webhook=webhook)


# --- deliveries ----------------------------------------------------------------------


@router.get("/deliveries", response_model=Page[DeliveryPublic])
def list_deliveries(
    session: SessionDep,
    db: DatabaseDep,
    _admin: Admin,
    webhook_id: Id | None = None,
    rule_id: Id | None = None,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryPublic]:
    """List deliveries newest first, by webhook, rule and status (admin)."""
    rows, next_cursor = service.list_deliveries(
        session,
        db=db,
        webhook_id=webhook_id,
        rule_id=rule_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[DeliveryPublic.model_validate(d) for d in rows], next_cursor=next_cursor)


def _detail(session: SessionDep, delivery: DeliveryDep) -> DeliveryDetail:
    public = DeliveryPublic.model_validate(delivery).model_dump()
    body = service.delivery_body(session, delivery)
    return DeliveryDetail(**public, url=delivery.url, method=delivery.method, body=body)


@router.get("/deliveries/{delivery_id:int}", response_model=DeliveryDetail)
def get_delivery(delivery: DeliveryDep, session: SessionDep) -> DeliveryDetail:
    """Read a delivery with the body it sends (admin)."""
    return _detail(session, delivery)


@router.get("/deliveries/{delivery_id:int}/attempts", response_model=Page[AttemptPublic])
def list_attempts(
    delivery: DeliveryDep, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[AttemptPublic]:
    """List a delivery's attempts oldest first: status, duration, code, first KB (admin)."""
    rows, next_cursor = service.list_attempts(
        session, delivery=delivery, limit=limit, cursor=cursor
    )
    return Page(items=[AttemptPublic.model_validate(a) for a in rows], next_cursor=next_cursor)


@router.post(
    "/deliveries/{delivery_id:int}/redeliver",
    response_model=DeliveryDetail,
    status_code=status.HTTP_202_ACCEPTED,
)
def redeliver(delivery: DeliveryDep, session: SessionDep) -> DeliveryDetail:
    """Send a delivery again, from the start of the retry schedule (admin)."""
    return _detail(session, service.redeliver(session, delivery=delivery))


# --- rules ---------------------------------------------------------------------------


@router.post("/rules", response_model=RulePublic, status_code=status.HTTP_201_CREATED)
def create_rule(data: RuleCreate, session: SessionDep, admin: Admin, key: SecretKey) -> RulePublic:
    """Create a rule: trigger, conditions, actions (admin)."""
    rule = service.create_rule(session, data=data, actor=admin, secret_key=key)
    return service.rule_public(rule)


@router.get("/rules", response_model=Page[RulePublic])
def list_rules(
    session: SessionDep, _admin: Admin, limit: Limit = 50, cursor: Cursor = None
) -> Page[RulePublic]:
    """List rules (admin)."""
    rows, next_cursor = service.list_rules(session, limit=limit, cursor=cursor)
    return Page(items=[service.rule_public(r) for r in rows], next_cursor=next_cursor)


@router.get("/rules/{rule_id:int}", response_model=RulePublic)
def get_rule(rule: RuleDep) -> RulePublic:
    """Read a rule (admin); web request headers and secrets are redacted."""
    return service.rule_public(rule)


@router.patch("/rules/{rule_id:int}", response_model=RulePublic)
def update_rule(data: RuleUpdate, rule: RuleDep, session: SessionDep, key: SecretKey) -> RulePublic:
    """Change a rule (admin); ``actions`` replaces the whole list."""
    return service.rule_public(service.update_rule(session, rule=rule, data=data, secret_key=key))


@router.delete("/rules/{rule_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule: RuleDep, session: SessionDep) -> None:
    """Delete a rule and its run log (admin)."""
    service.delete_rule(session, rule=rule)


@router.get("/rules/{rule_id:int}/runs", response_model=Page[RuleRunPublic])
def list_rule_runs(
    rule: RuleDep,
    session: SessionDep,
    outcome: RunOutcome | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RuleRunPublic]:
    """List a rule's runs newest first, with their outcome (admin)."""
    rows, next_cursor = service.list_runs(
        session, rule=rule, outcome=outcome, limit=limit, cursor=cursor
    )
    return Page(items=[RuleRunPublic.model_validate(r) for r in rows], next_cursor=next_cursor)
