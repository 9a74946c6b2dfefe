"""Domain events: who hears them, and who reads their payloads' costly parts."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session as OrmSession

from app.core import events


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty listener registries for this test (the app's wiring is global)."""
    monkeypatch.setattr(events, "_in_transaction", [])
    monkeypatch.setattr(events, "_after_commit", [])
    monkeypatch.setattr(events, "_interest", {})


def _ignore(_session: OrmSession, _event: events.Event) -> None:
    return None


@pytest.mark.usefixtures("registry")
def test_a_payload_is_wanted_only_by_a_listener_that_reads_it() -> None:
    session = OrmSession()
    assert not events.wanted(session, "card.created")  # nobody listens
    heard: list[str] = []

    def only_moves(_session: OrmSession, event_type: str) -> bool:
        heard.append(event_type)
        return event_type == "card.moved"

    events.on_emit(_ignore, wants=only_moves)
    assert not events.wanted(session, "card.created")
    assert events.wanted(session, "card.moved")
    assert heard == ["card.created", "card.moved"]
    # Registered again without ``wants``: it reads every payload.
    events.on_emit(_ignore)
    assert events.wanted(session, "card.created")
    events.remove(_ignore)
    assert not events.wanted(session, "card.created")


@pytest.mark.usefixtures("registry")
def test_a_commit_listener_reads_every_payload() -> None:
    def listener(_event: events.Event) -> None:
        return None

    events.on_commit(listener)
    assert events.wanted(OrmSession(), "anything")
