"""Many senders, one alert: exactly one card and the exact count, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from app.alerts.ingest.batch import IngestResult, IngestWork
from app.alerts.ingest.committer import run_batch
from app.alerts.models import IntegrationKind
from app.alerts.sources import normalise
from app.auth.credentials import hash_secret
from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, card, count, load, post

SENDERS = 12
EACH = 5


def test_threads_posting_the_same_alert_make_one_card(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration, db: Database
) -> None:
    integration = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]

    def send(_: int) -> list[int]:
        cards: list[int] = []
        for _ in range(EACH):
            response = post(anon, integration, payload)
            assert response.status_code == 202, response.text
            cards += response.json()["cards"]
        return cards

    with ThreadPoolExecutor(SENDERS) as pool:
        answered = {card_id for cards in pool.map(send, range(SENDERS)) for card_id in cards}
    assert len(answered) == 1
    (card_id,) = answered
    assert card(member, card_id)["alert"]["occurrences"] == SENDERS * EACH
    assert count(db, "card") == 1 and count(db, "alert") == 1
    assert count(db, "alert_signal") == SENDERS * EACH
    assert count(db, "alert_payload") == SENDERS * EACH


def test_concurrent_transactions_race_on_the_open_key_and_none_is_lost(
    make_integration: MakeIntegration, member: TestClient, db: Database
) -> None:
    """Writers that share no queue (as separate processes would) rely on the database."""
    integration = make_integration("generic")
    alerts = normalise(IntegrationKind.generic, {"title": "Disk full", "key": "web-3/disk"}, {})

    def work() -> IngestWork:
        return IngestWork(
            integration_id=integration["id"],
            token_hash=hash_secret(integration["token"]),
            alerts=alerts,
            body="{}",
        )

    def store(_: int) -> Any:
        (outcome,) = run_batch(db, [work()])
        return outcome

    total = SENDERS * EACH
    with ThreadPoolExecutor(SENDERS) as pool:
        outcomes = list(pool.map(store, range(total)))
    assert all(isinstance(outcome, IngestResult) for outcome in outcomes), outcomes
    card_ids = {outcome.cards[0] for outcome in outcomes}
    assert len(card_ids) == 1
    assert card(member, card_ids.pop())["alert"]["occurrences"] == total
    assert count(db, "card") == 1 and count(db, "alert_signal") == total
