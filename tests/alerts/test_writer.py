"""The ingest writer process: HTTP requests stored by a real writer process over its socket.

The writer runs as ``firelane serve --workers N`` runs it (``python -m app.cli
ingest-writer``), on SQLite and PostgreSQL; the HTTP side is a test app built with
its pipeline pointed at the writer's socket. Nothing sleeps: tests poll with deadlines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from app.alerts.config import get_alert_settings
from app.alerts.ingest.batch import IngestResult, IngestWork, Outcome
from app.alerts.ingest.client import RemoteCommitter
from app.alerts.ingest.codec import FrameBuffer, read_answers, request_frame
from app.alerts.ingest.process import WriterProcess, answers
from app.alerts.ingest.writer import Writer, listen
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.alerts.conftest import MakeIntegration, card, count, load, post
from tests.e2e.processes import until


@pytest.fixture(scope="module")
def writer(database_url: str) -> Iterator[WriterProcess]:
    """A real writer process on the test database, for the whole module."""
    env = {**os.environ, "FIRELANE_DATABASE_URL": database_url}
    process = WriterProcess([sys.executable, "-m", "app.cli", "ingest-writer"], env=env)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def writer_timeout() -> float:
    """How long the app's requests wait for the writer (a test parametrizes it)."""
    return 30.0


@pytest.fixture
def app(
    settings: Settings, db: Database, writer_timeout: float, request: pytest.FixtureRequest
) -> FastAPI:
    """The test app; built pointed at the writer process when a test asks for ``remote``."""
    if "remote" not in request.fixturenames:
        return create_app(settings, db=db, run_scheduler=False)
    writer: WriterProcess = request.getfixturevalue("writer")
    until("the writer to answer", lambda: answers(writer.path))
    alerts = get_alert_settings().model_copy(
        update={
            "writer_socket": writer.path,
            "writer_timeout_seconds": writer_timeout,
        }
    )
    return create_app(settings, db=db, run_scheduler=False, alert_settings=alerts)


@pytest.fixture
def remote(app: FastAPI) -> RemoteCommitter:
    """The app's committer: the writer process's client."""
    committer = app.state.alert_pipeline.committer
    assert isinstance(committer, RemoteCommitter)
    return committer


def _firing() -> dict[str, Any]:
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]
    return payload


def test_an_alert_is_on_disk_when_the_writer_answers(
    remote: RemoteCommitter,
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
) -> None:
    integration = make_integration("alertmanager")
    payload = _firing()
    first = post(anon, integration, payload)
    assert first.status_code == 202, first.text
    (card_id,) = first.json()["cards"]
    # Read right after the answer, by another connection: committed already.
    assert count(db, "card") == 1 and count(db, "alert_signal") == 1
    again = post(anon, integration, payload)
    assert again.json()["cards"] == [card_id]
    payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2026-11-26T10:00:00Z"
    assert post(anon, integration, payload).status_code == 202
    alert = card(member, card_id)["alert"]
    assert alert["occurrences"] == 2 and alert["status"] == "resolved"
    assert remote.pending() == 0


def test_many_threads_through_the_writer_make_one_card(
    remote: RemoteCommitter,
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
) -> None:
    integration = make_integration("alertmanager")
    payload = _firing()

    def send(_: int) -> set[int]:
        cards: set[int] = set()
        for _ in range(5):
            response = post(anon, integration, payload)
            assert response.status_code == 202, response.text
            cards.update(response.json()["cards"])
        return cards

    with ThreadPoolExecutor(12) as pool:
        answered = set().union(*pool.map(send, range(12)))
    (card_id,) = answered
    assert card(member, card_id)["alert"]["occurrences"] == 60
    assert count(db, "card") == 1 and count(db, "alert_signal") == 60


def test_the_writer_refuses_a_token_rotated_after_it_was_cached(
    remote: RemoteCommitter, anon: TestClient, admin: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    assert post(anon, integration, _firing()).status_code == 202  # the settings are cached
    rotated = admin.post(f"/api/v1/integrations/{integration['id']}/rotate-token")
    assert rotated.status_code == 200
    # The cached settings still know the old token: the writer's transaction refuses it,
    # and its error comes back over the socket as the same 401.
    refused = post(anon, integration, _firing())
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_integration_token"
    assert refused.headers["www-authenticate"] == "Bearer"


def _kill(writer: WriterProcess, sig: signal.Signals) -> int:
    pid = writer.pid
    assert pid is not None
    os.kill(pid, sig)
    return pid


def _resume(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # killed meanwhile
        os.kill(pid, signal.SIGCONT)


def test_a_dead_writer_gets_503_then_is_started_again(
    remote: RemoteCommitter,
    anon: TestClient,
    make_integration: MakeIntegration,
    writer: WriterProcess,
    db: Database,
) -> None:
    integration = make_integration("alertmanager")
    assert post(anon, integration, _firing()).status_code == 202
    dead = _kill(writer, signal.SIGKILL)
    until("the writer to die", lambda: writer.pid != dead or not answers(writer.path))
    answered: list[Response] = []

    def back() -> bool:
        response = post(anon, integration, _firing())
        answered.append(response)
        return response.status_code == 202

    until("a writer to be started again", back)
    assert writer.pid != dead
    refused = [response for response in answered if response.status_code != 202]
    for response in refused:  # while it was gone: a 503 senders retry, never a hang
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "writer_unavailable"
    assert count(db, "alert_signal") == 2  # the refused ones stored nothing


def test_a_request_waiting_when_the_writer_dies_gets_503(
    remote: RemoteCommitter,
    anon: TestClient,
    make_integration: MakeIntegration,
    writer: WriterProcess,
    db: Database,
) -> None:
    integration = make_integration("alertmanager")
    assert post(anon, integration, _firing()).status_code == 202  # connected
    stopped = _kill(writer, signal.SIGSTOP)  # it reads nothing more
    answered: list[Response] = []
    sender = threading.Thread(target=lambda: answered.append(post(anon, integration, _firing())))
    try:
        sender.start()
        until("the request to wait for the writer", lambda: remote.pending() == 1)
        os.kill(stopped, signal.SIGKILL)
        sender.join(timeout=60)
    finally:
        _resume(stopped)
    (response,) = answered
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "writer_unavailable"
    assert count(db, "alert_signal") == 1
    until("a writer to be started again", lambda: writer.pid != stopped and answers(writer.path))


@pytest.mark.parametrize("writer_timeout", [0.5])
def test_a_writer_that_does_not_answer_in_time_gets_503(
    remote: RemoteCommitter,
    db: Database,
    writer: WriterProcess,
    anon: TestClient,
    make_integration: MakeIntegration,
) -> None:
    integration = make_integration("alertmanager")
    stopped = _kill(writer, signal.SIGSTOP)
    try:
        response = post(anon, integration, _firing())
    finally:
        _resume(stopped)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "writer_timeout"
    # Woken up, the writer stores what it was sent: the sender's retry counts as a repeat.
    until("the late work to be stored", lambda: count(db, "alert_signal") == 1)


def test_the_writer_batches_what_several_processes_sent(tmp_path: Path) -> None:
    """Work from two connections that waited together is stored as one batch."""
    batches: list[list[str]] = []

    def runner(_db: Database, works: Sequence[IngestWork]) -> list[Outcome]:
        batches.append([work.body for work in works])
        return [IngestResult(accepted=1, cards=[int(work.body)]) for work in works]

    path = str(tmp_path / "writer.sock")
    database = Database.from_url(f"sqlite:///{tmp_path / 'unused.db'}")
    writer = Writer(database, listen(path), runner=runner)
    senders = [socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)]
    for sender in senders:
        sender.connect(path)
    work = IngestWork(integration_id=1, token_hash="", alerts=[], body="")
    senders[0].sendall(
        request_frame(7, replace(work, body="1")) + request_frame(8, replace(work, body="2"))
    )
    senders[1].sendall(request_frame(7, replace(work, body="3")))
    serving = threading.Thread(target=writer.serve)
    serving.start()
    try:
        answers_of = []
        for sender in senders:
            frames, got = FrameBuffer(), []
            while not got:
                got = frames.feed(sender.recv(65536))
            answers_of.append(read_answers(got[0]))
    finally:
        writer.stop()
        serving.join()
        for sender in senders:
            sender.close()
        database.dispose()
    assert batches == [["1", "2", "3"]]
    # Each connection gets its own answers, by its own request ids.
    assert [(rid, result.cards) for rid, result in answers_of[0]] == [(7, [1]), (8, [2])]
    assert [(rid, result.cards) for rid, result in answers_of[1]] == [(7, [3])]
