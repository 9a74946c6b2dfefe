"""``firelane demo``: a realistic operations board to look at on first start."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from app.alerts import service as alerts
from app.alerts.schemas import IntegrationCreate
from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.boards import cards, service
from app.boards.exceptions import BoardNotFound
from app.boards.models import CardKind, Priority
from app.boards.schemas import BoardCreate, ColumnCreate
from app.core.clock import now
from app.core.config import Settings
from app.core.db import Database, pk
from app.schedules import service as schedules
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
        "[FIRING] HostHighCpuLoad on db-prod-01",
        CardKind.fire,
        Priority.high,
        ("alert", "database"),
        0,
        "CPU above 90 % for 15 minutes.\n\nRunbook: check slow queries.",
    ),
    (
        "[FIRING] DiskSpaceLow /var on web-03 (8% free)",
        CardKind.fire,
        Priority.urgent,
        ("alert", "disk"),
        1,
        "Log rotation failed again; third time this month.",
    ),
    (
        "[FIRING] CertificateExpiringSoon api.example.com (6 days)",
        CardKind.fire,
        Priority.high,
        ("alert", "tls"),
        0,
        "cert-manager renewal stuck on DNS challenge.",
    ),
    (
        "[FIRING] KubePodCrashLooping payments-worker",
        CardKind.fire,
        Priority.urgent,
        ("alert", "kubernetes"),
        1,
        "OOMKilled after the last deploy.",
    ),
    (
        "[RESOLVED] PostgresReplicationLag db-replica-02",
        CardKind.fire,
        Priority.medium,
        ("alert", "database"),
        3,
        "Lag peaked at 94 s during the nightly batch.",
    ),
    (
        "[FIRING] BackupJobFailed nightly-s3-sync",
        CardKind.fire,
        Priority.high,
        ("alert", "backup"),
        2,
        "Waiting on the storage team for new credentials.",
    ),
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
        "Automate log rotation fix on web hosts",
        CardKind.automation,
        Priority.high,
        ("automation", "disk"),
        1,
        "Removes the recurring DiskSpaceLow fire.",
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
    url = f"{settings.base_url}/api/v1/ingest/{pk(integration)}"
    say(f"  integration 'demo-alertmanager': POST alerts to {url}")
    say(f"  with 'Authorization: Bearer {token}' (shown once)")


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
        for index, (title, kind, priority, labels, column_index, text) in enumerate(CARDS, 1):
            card, _ = cards.new_card(
                session,
                board=board,
                actor=admin,
                title=title,
                description=text,
                kind=kind,
                priority=priority,
                labels=list(labels),
                due_at=now() + timedelta(days=index) if kind == CardKind.maintenance else None,
            )
            if column_index:
                cards.place_card(
                    session, card=card, column_id=pk(columns[column_index]), actor=admin
                )
            session.commit()
            say(f"  [{index:>2}/{total}] {title}")
        board_id = pk(board)
    _seed_automation(db, board_id, settings, say)
    say(f"demo board '{SLUG}' is ready: {total} cards, {len(SCHEDULES)} schedules")
