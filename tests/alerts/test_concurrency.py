"""Many senders, one alert: exactly one card and the exact count, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
from app.alerts.ingest.committer import run_batch
from app.alerts.ingest.group import GroupCommitter
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


def test_two_writer_threads_store_a_batch_while_another_is_in_flight() -> None:
    """With two writer threads (PostgreSQL's), a request that arrives while a batch is
    stored is stored at once, beside it, not after it."""
    first_started, second_started = threading.Event(), threading.Event()
    overlapped: list[bool] = []

    def runner(_db: Database, works: Sequence[IngestWork]) -> list[Outcome]:
        if works[0].body == "1":
            first_started.set()
            overlapped.append(second_started.wait(timeout=30))
        else:
            second_started.set()
        return [IngestResult(accepted=1, cards=[int(work.body)]) for work in works]

    # Unused by the runner; in memory, so no file lock keeps the two threads apart.
    engine = sqlalchemy.create_engine("sqlite://")
    database = Database(engine=engine, write=sessionmaker(engine), read=sessionmaker(engine))
    committer = GroupCommitter(database, runner=runner, threads=2)
    work = IngestWork(integration_id=1, token_hash="", alerts=[], body="")

    async def both() -> tuple[Outcome, Outcome]:
        first = asyncio.ensure_future(committer.submit(replace(work, body="1")))
        assert await asyncio.to_thread(first_started.wait, 30)
        second = await committer.submit(replace(work, body="2"))
        return await first, second

    first, second = asyncio.run(both())
    assert overlapped == [True]
    assert isinstance(first, IngestResult) and first.cards == [1]
    assert isinstance(second, IngestResult) and second.cards == [2]
