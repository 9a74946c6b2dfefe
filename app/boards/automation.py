"""Card actions of automation rules, and the card events of their finished web requests.

Hooks may not import boards, so this module registers its executors with
``app.hooks.actions`` (``install()``, called by ``app.wiring.wire``). Every action only
flushes: it runs inside the transaction of the event that triggered its rule.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.auth.models import User
from app.boards import activity, cards
from app.boards.models import Board, BoardColumn, Card, CardKind, CardLink, Comment, Priority
from app.core.db import pk
from app.hooks import actions, fanout, templates
from app.hooks.actions import ActionFailed, DeliveryOutcome, RunContext
from app.hooks.exceptions import InvalidRule


def _card(session: Session, ctx: RunContext) -> Card:
    if ctx.event.card_id is None:
        raise ActionFailed(f"{ctx.event.type} is about no card")
    card = session.get(Card, ctx.event.card_id)
    if card is None:
        raise ActionFailed(f"card {ctx.event.card_id} no longer exists")
    return card


def _active_user(session: Session, name: str) -> User | None:
    user = session.exec(select(User).where(User.name == name)).first()
    return user if user is not None and user.is_active else None


class MoveCard:
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        if session.get(BoardColumn, action["column_id"]) is None:
            raise InvalidRule(f"move_card: no column has id {action['column_id']}.")

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        card = _card(session, ctx)
        warnings = cards.place_card(
            session,
            card=card,
            column_id=action["column_id"],
            actor=ctx.actor,
            top=action.get("position", "top") == "top",
            depth=ctx.depth,
        )
        return {"card_id": card.id, "column_id": action["column_id"], "warnings": warnings}


class Assign:
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        name = action.get("assignee")
        if name is not None and _active_user(session, name) is None:
            raise InvalidRule(f"assign: no active user is named {name!r}.")

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        card = _card(session, ctx)
        name = action.get("assignee")
        user = _active_user(session, name) if name is not None else None
        if name is not None and user is None:
            raise ActionFailed(f"no active user is named {name!r}")
        assignee_id = user.id if user is not None else None
        changes, _ = cards.change_card(
            session,
            card=card,
            fields={"assignee_id": assignee_id},
            actor=ctx.actor,
            depth=ctx.depth,
        )
        return {"card_id": card.id, "changed": bool(changes)}


class ChangeLabels:
    def __init__(self, *, add: bool) -> None:
        self.add = add

    def validate(self, session: Session, action: dict[str, Any]) -> None:
        return None

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        card = _card(session, ctx)
        label = action["label"]
        labels = set(card.labels) | {label} if self.add else set(card.labels) - {label}
        changes, _ = cards.change_card(
            session, card=card, fields={"labels": sorted(labels)}, actor=ctx.actor, depth=ctx.depth
        )
        return {"card_id": card.id, "changed": bool(changes)}


class SetPriority:
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        return None

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        card = _card(session, ctx)
        fields = {"priority": Priority(action["priority"])}
        changes, _ = cards.change_card(
            session, card=card, fields=fields, actor=ctx.actor, depth=ctx.depth
        )
        return {"card_id": card.id, "changed": bool(changes)}


class AddComment:
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        templates.check(action["body"], where="comment.body")

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        card = _card(session, ctx)
        body = templates.render_text(action["body"], ctx.template_context())[:20_000]
        if not body.strip():
            raise ActionFailed("the comment is empty once its placeholders are filled")
        comment = Comment(card_id=pk(card), author_id=None, body=body)
        session.add(comment)
        session.flush()
        activity.record(
            session,
            card=card,
            type="card.commented",
            actor=ctx.actor,
            data={"comment": {"id": comment.id, "body": comment.body}},
            depth=ctx.depth,
        )
        return {"card_id": card.id, "comment_id": comment.id}


class CreateLinkedCard:
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        templates.check(action["title"], where="create_linked_card.title")
        templates.check(action.get("description", ""), where="create_linked_card.description")
        board_id, column_id = action.get("board_id"), action.get("column_id")
        if board_id is not None and session.get(Board, board_id) is None:
            raise InvalidRule(f"create_linked_card: no board has id {board_id}.")
        if column_id is not None:
            column = session.get(BoardColumn, column_id)
            if column is None or (board_id is not None and column.board_id != board_id):
                raise InvalidRule(f"create_linked_card: column {column_id} is not on the board.")

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        source = _card(session, ctx) if ctx.event.card_id is not None else None
        link_kind = action.get("link_kind", "automates")
        if source is not None and action.get("once", True):
            existing = session.exec(
                select(CardLink).where(
                    CardLink.target_card_id == source.id, CardLink.kind == link_kind
                )
            ).first()
            if existing is not None:
                return {"card_id": existing.card_id, "skipped": "a linked card exists already"}
        board_id = action.get("board_id") or (source.board_id if source else ctx.event.board_id)
        board = session.get(Board, board_id) if board_id is not None else None
        if board is None:
            raise ActionFailed("no board to create the card on: give board_id")
        context = ctx.template_context()
        title = templates.render_text(action["title"], context).strip()[:300]
        card, _ = cards.new_card(
            session,
            board=board,
            actor=ctx.actor,
            title=title or "Automate",
            column_id=action.get("column_id"),
            description=templates.render_text(action.get("description", ""), context),
            kind=CardKind(action.get("kind", "automation")),
            priority=Priority(action.get("priority") or (source.priority if source else "medium")),
            labels=action.get("labels") or [],
            depth=ctx.depth,
        )
        if source is not None:
            cards.link_cards(session, card=card, target=source, kind=link_kind)
        return {"card_id": card.id}


def record_web_request(session: Session, outcome: DeliveryOutcome) -> None:
    """Put a rule web request's final status on its card as a ``rule.web_request`` event."""
    card = session.get(Card, outcome.card_id) if outcome.card_id is not None else None
    if card is None:
        return
    activity.record(
        session,
        card=card,
        type="rule.web_request",
        actor=f"rule:{outcome.rule_id}" if outcome.rule_id is not None else "rule",
        data={
            "rule_id": outcome.rule_id,
            "delivery_id": outcome.delivery_id,
            "status": outcome.status,
            "status_code": outcome.status_code,
            "attempts": outcome.attempts,
            "error": outcome.error,
        },
        depth=outcome.depth,
    )


def install() -> None:
    """Register the card actions, the web-request outcome recorder and the card events'
    renderer with hooks."""
    actions.register("move_card", MoveCard())
    actions.register("assign", Assign())
    actions.register("add_label", ChangeLabels(add=True))
    actions.register("remove_label", ChangeLabels(add=False))
    actions.register("set_priority", SetPriority())
    actions.register("comment", AddComment())
    actions.register("create_linked_card", CreateLinkedCard())
    actions.on_delivery_finished(record_web_request)
    fanout.render_card_events_with(activity.sent_events)
