"""Commit ahead: a batch's statements run while the batch before it commits, each batch is
answered only once it is committed, and a batch that fails is stored again by run_batch.

On both backends (the ingest writer uses it on PostgreSQL; on SQLite ``send_commit``
commits at once, so the same steps run one after another)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from app.alerts.ingest import committer
from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
from app.alerts.ingest.committer import CommitAhead
from app.alerts.models import IntegrationKind
from app.alerts.sources import normalise
from app.auth.credentials import hash_secret
from app.core import deferred
from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, count


def _work(integration: dict[str, Any], body: str, *keys: str) -> IngestWork:
    alerts = [{"title": f"Fire {key}", "key": key} for key in keys]
    return IngestWork(
        integration_id=integration["id"],
        token_hash=hash_secret(integration["token"]),
        alerts=normalise(IntegrationKind.generic, {"alerts": alerts}, {}),
        body=body,
    )


class _Answers:
    """What a CommitAhead settled, by ticket, and how many alerts were committed then."""

    def __init__(self, db: Database, log: list[str]) -> None:
        self.db = db
        self.log = log
        self.outcomes: dict[int, Outcome] = {}

    def __call__(self, place: str, pairs: list[tuple[int, Outcome]]) -> None:
        # Read on a connection of its own: what is committed at the moment of answering
        # (a reading one: on SQLite the next batch may hold the write lock meanwhile).
        with self.db.session(readonly=True) as session:
            stored = session.execute(sa.text("SELECT count(*) FROM alert")).scalar_one()
        self.log.append(f"answered {place} with {stored} alert(s) stored")
        self.outcomes.update(pairs)


def test_the_next_batch_runs_while_the_one_before_commits_and_each_is_answered_committed(
    make_integration: MakeIntegration, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration = make_integration("generic")
    log: list[str] = []
    second_started = threading.Event()
    apply_works, wait = committer.apply_works, deferred.SentCommit.wait

    def statements(session: Any, works: list[IngestWork], at: Any) -> list[Outcome]:
        log.append(f"statements {works[0].body}")
        if works[0].body == "second":
            second_started.set()
        return apply_works(session, works, at)

    def answer_late(sent: deferred.SentCommit) -> str | None:
        # The first COMMIT's answer is read only once the next batch's statements began.
        assert second_started.wait(30), "the next batch waited for the COMMIT before it"
        return wait(sent)

    def careful(*_args: Any) -> list[Outcome]:
        raise AssertionError("no batch needed run_batch")

    monkeypatch.setattr(committer, "apply_works", statements)
    monkeypatch.setattr(deferred.SentCommit, "wait", answer_late)
    monkeypatch.setattr(committer, "run_batch", careful)
    answers = _Answers(db, log)
    ahead: CommitAhead[str, int] = CommitAhead(db, answers)
    try:
        ahead.store([("first", 1, _work(integration, "first", "a", "b"))])
        ahead.store(
            [
                ("second", 2, _work(integration, "second", "c")),
                ("second", 3, _work(integration, "second", "d")),
            ]
        )
    finally:
        ahead.close()
    assert log == [
        "statements first",
        "statements second",
        "answered first with 2 alert(s) stored",
        "answered second with 4 alert(s) stored",
    ]
    results = [answers.outcomes[ticket] for ticket in (1, 2, 3)]
    assert all(isinstance(result, IngestResult) for result in results), results
    assert [len(result.cards) for result in results] == [2, 1, 1]  # type: ignore[union-attr]
    assert count(db, "card") == 4 and count(db, "alert_payload") == 3


def test_a_key_the_batch_before_opens_is_one_card_whoever_wins(
    make_integration: MakeIntegration, db: Database
) -> None:
    """The second batch's statements may run before the first's COMMIT ends (on
    PostgreSQL its INSERT then waits for it, fails, and run_batch reads the first's alert)
    or after it: either way one card per key, every repeat counted."""
    integration = make_integration("generic")
    answers = _Answers(db, [])
    ahead: CommitAhead[str, int] = CommitAhead(db, answers)
    try:
        for round_ in range(8):
            key = f"k{round_}"
            ahead.store([("one", 2 * round_, _work(integration, "one", key))])
            ahead.store([("two", 2 * round_ + 1, _work(integration, "two", key))])
    finally:
        ahead.close()
    assert len(answers.outcomes) == 16
    for round_ in range(8):
        first, second = answers.outcomes[2 * round_], answers.outcomes[2 * round_ + 1]
        assert isinstance(first, IngestResult) and isinstance(second, IngestResult)
        assert first.cards == second.cards and first.actions == {"fired": 1}
        assert second.actions == {"repeated": 1}
    assert count(db, "card") == 8 and count(db, "alert") == 8
    assert count(db, "alert_signal") == 16 and count(db, "alert_payload") == 16


def test_a_batch_whose_commit_fails_is_stored_again_and_only_its_bad_request_fails(
    make_integration: MakeIntegration, db: Database
) -> None:
    """A NUL in a body: SQLite stores it; PostgreSQL's text cannot hold it, and only the
    COMMIT (which carries the payloads) finds out. The batch is then stored again by
    run_batch, request by request: the good one once, the bad one refused."""
    integration = make_integration("generic")
    answers = _Answers(db, [])
    ahead: CommitAhead[str, int] = CommitAhead(db, answers)
    try:
        ahead.store(
            [
                ("http", 1, _work(integration, "good", "g")),
                ("http", 2, _work(integration, "bad \x00 body", "n")),
            ]
        )
        ahead.store([("http", 3, _work(integration, "after", "h"))])
    finally:
        ahead.close()
    good, bad, after = (answers.outcomes[ticket] for ticket in (1, 2, 3))
    assert isinstance(good, IngestResult) and isinstance(after, IngestResult)
    if db.dialect == "postgresql":
        assert not isinstance(bad, IngestResult) and bad.code == "internal_error"
        assert count(db, "alert_payload") == 2 and count(db, "card") == 2
    else:
        assert isinstance(bad, IngestResult)
        assert count(db, "alert_payload") == 3 and count(db, "card") == 3
