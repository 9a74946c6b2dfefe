"""``firelane demo``: a realistic operations board to look at on first start."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.alerts import service as alerts
from app.alerts.schemas import IntegrationCreate
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.auth.schemas import UserCreate
from app.boards import cards, service
from app.boards.exceptions import BoardNotFound
from app.boards.models import Board, BoardColumn, Card, CardKind, Priority
from app.boards.schemas import BoardCreate, ColumnCreate
from app.core import clock
from app.core.clock import ManualClock, now
from app.core.config import Settings
from app.core.db import Database, pk
from app.demo_history import WEEKS, seed_history
from app.schedules import service as schedules
from app.schedules.models import Schedule
from app.schedules.schemas import ScheduleCreate

SLUG = "ops"

COLUMNS = (
    ColumnCreate(name="Triage"),
    ColumnCreate(name="In progress", wip_limit=5),
    ColumnCreate(name="Blocked"),
    ColumnCreate(name="Done", is_done=True),
)

# title, kind, priority, labels, column index, description
CARDS: tuple[tuple[str, CardKind, Priority, tuple[str, ...], int, str], ...] = (
    (
        "Rotate TLS certificates for the edge proxies",
        CardKind.maintenance,
        Priority.medium,
        ("chore", "tls"),
        0,
        "- [ ] renew\n- [ ] deploy\n- [ ] verify expiry dates",
    ),
    (
        "Patch kernel on the Kubernetes node pool",
        CardKind.maintenance,
        Priority.medium,
        ("chore", "patching"),
        1,
        "Drain, patch, reboot one node at a time.",
    ),
    (
        "Test restore of the orders database",
        CardKind.maintenance,
        Priority.medium,
        ("chore", "backup"),
        3,
        "Restore into staging and compare row counts.",
    ),
    (
        "Quarterly access review for production",
        CardKind.maintenance,
        Priority.low,
        ("chore", "security"),
        0,
        "Export IAM users and group memberships.",
    ),
    (
        "Upgrade PostgreSQL 15 → 17",
        CardKind.project,
        Priority.medium,
        ("database",),
        0,
        "Plan logical replication cut-over.",
    ),
    (
        "Move alert routing to Firelane",
        CardKind.change,
        Priority.medium,
        ("alerting",),
        3,
        "Point Alertmanager's webhook receiver at the ingest URL.",
    ),
    (
        "Automate certificate renewal checks",
        CardKind.automation,
        Priority.medium,
        ("automation", "tls"),
        0,
        "A daily job that opens a card 30 days before expiry.",
    ),
)


def _ensure_admin(db: Database, say: Callable[[str], None]) -> None:
    with db.session() as session:
        if auth_service.get_user_by_name(session, "admin") is not None:
            return
        password = secrets.token_urlsafe(12)
        auth_service.create_user(
            session, data=UserCreate(name="admin", role=Role.admin, password=password)
        )
    say(f"created user 'admin' with password {password!r} (shown once; change it)")


SCHEDULES = (
    {
        "name": "Rotate TLS certificates",
        "cron": "0 9 1 * *",
        "title": "Rotate TLS certificates ({date})",
        "checklist": ["Renew", "Deploy to the edge proxies", "Verify expiry dates"],
        "labels": ["chore", "tls"],
        "estimate_minutes": 90,
        "lead_minutes": 7 * 24 * 60,
    },
    {
        "name": "Test restore of the orders database",
        "cron": "0 10 * * 1",
        "title": "Test restore of the orders database (week {week})",
        "checklist": ["Restore into staging", "Compare row counts", "Record the duration"],
        "labels": ["chore", "backup"],
        "estimate_minutes": 60,
        "lead_minutes": 24 * 60,
    },
)


def _seed_automation(
    db: Database, board_id: int, settings: Settings, say: Callable[[str], None]
) -> None:
    """Chores on a calendar and an Alertmanager integration to send test alerts to."""
    with db.session() as session:
        for spec in SCHEDULES:
            data = ScheduleCreate.model_validate({**spec, "board_id": board_id})
            schedules.create_schedule(session, data=data, default_timezone=settings.timezone)
            say(f"  schedule: {spec['name']} ({spec['cron']})")
        integration, token = alerts.create_integration(
            session,
            data=IntegrationCreate(
                name="demo-alertmanager", kind="alertmanager", board_id=board_id
            ),
            secret_key=settings.secret_key,
        )
        schedule_ids = [
            pk(each) for each in session.exec(select(Schedule).where(Schedule.board_id == board_id))
        ]
        board = service.get_board(session, board_id)
    seed_history(
        db,
        board=board,
        integration=integration,
        schedule_ids=sorted(schedule_ids),
        end=now(),
        say=say,
    )
    # Planned two weeks ago, so that last week's report names it.
    with clock.use(ManualClock(now() - timedelta(days=14))):
        _plan_certificate_automation(db, board_id, pk(integration))
    url = f"{settings.base_url}/api/v1/ingest/{pk(integration)}"
    say(f"  integration 'demo-alertmanager': POST alerts to {url}")
    say(f"  with 'Authorization: Bearer {token}' (shown once)")


def _plan_certificate_automation(db: Database, board_id: int, integration_id: int) -> None:
    """The next automation: estimated, aimed at a candidate, not built yet."""
    with db.session() as session:
        found = session.exec(
            select(Card).where(
                Card.board_id == board_id, Card.title == "Automate certificate renewal checks"
            )
        ).first()
        if found is None:
            return
        cards.change_card(
            session,
            card=found,
            fields={
                "estimate_minutes": 6 * 60,
                "automates": [f"alert:{integration_id}:CertificateExpiringSoon"],
            },
            actor="system",
        )
        session.commit()


def seed(db: Database, *, say: Callable[[str], None], settings: Settings) -> None:
    """Create the demo board with fires, chores, projects and some done work."""
    _ensure_admin(db, say)
    with db.session() as session:
        try:
            service.get_board_by_slug(session, SLUG)
        except BoardNotFound:
            pass
        else:
            say(f"demo board '{SLUG}' exists already; nothing to do")
            return
        board = service.create_board(
            session,
            data=BoardCreate(
                name="Operations",
                slug=SLUG,
                description="Fires, chores and the automation that retires them.",
                columns=list(COLUMNS),
            ),
        )
        admin = auth_service.get_user_by_name(session, "admin")
        assert admin is not None and board.id is not None
        columns = service.list_columns(session, board_id=board.id)
        total = len(CARDS)
        today = now()
        for index, (title, *_) in enumerate(CARDS, 1):
            # Made over the last three weeks: work that was under way before last week ended.
            with clock.use(ManualClock(today - timedelta(days=21 - index))):
                _static_card(session, board, admin, columns, index, today)
            session.commit()
            say(f"  [{index:>2}/{total}] {title}")
        board_id = pk(board)
    _seed_automation(db, board_id, settings, say)
    with db.session() as session:
        made = len(session.exec(select(Card.id).where(Card.board_id == board_id)).all())
    say(
        f"demo board '{SLUG}' is ready: {made} cards, {len(SCHEDULES)} schedules, "
        f"{WEEKS} weeks of history for the weekly report"
    )


def _static_card(
    session: Session,
    board: Board,
    admin: User,
    columns: list[BoardColumn],
    index: int,
    today: datetime,
) -> Card:
    title, kind, priority, labels, column_index, text = CARDS[index - 1]
    card, _ = cards.new_card(
        session,
        board=board,
        actor=admin,
        title=title,
        description=text,
        kind=kind,
        priority=priority,
        labels=list(labels),
        due_at=today + timedelta(days=index) if kind == CardKind.maintenance else None,
    )
    if column_index:
        cards.place_card(session, card=card, column_id=pk(columns[column_index]), actor=admin)
    return card
