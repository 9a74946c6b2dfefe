"""Load webhooks, rules and deliveries by path id, for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Admin
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.schemas import Id
from app.hooks import service
from app.hooks.models import Delivery, Rule, Webhook


def secret_key(settings: SettingsDep) -> str:
    """The key that seals stored secrets (FIRELANE_SECRET_KEY)."""
    return settings.secret_key


SecretKey = Annotated[str, Depends(secret_key)]


def get_webhook_or_404(webhook_id: Id, session: SessionDep, _admin: Admin) -> Webhook:
    return service.get_webhook(session, webhook_id)


def get_rule_or_404(rule_id: Id, session: SessionDep, _admin: Admin) -> Rule:
    return service.get_rule(session, rule_id)


def get_delivery_or_404(delivery_id: Id, session: SessionDep, _admin: Admin) -> Delivery:
    return service.get_delivery(session, delivery_id)


WebhookDep = Annotated[Webhook, Depends(get_webhook_or_404)]
RuleDep = Annotated[Rule, Depends(get_rule_or_404)]
DeliveryDep = Annotated[Delivery, Depends(get_delivery_or_404)]
