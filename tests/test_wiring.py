"""Every registration of one domain into another happens in app.wiring, and is checked."""

from __future__ import annotations

import subprocess
import sys

from app import wiring
from app.boards.live.frames import TILE_FACTS
from app.boards.models import CARD_SUMMARIES
from app.core import events
from app.hooks import actions


def test_wire_fills_every_registry_once() -> None:
    wiring.wire()
    assert wiring.missing() == []
    wiring.check_wired()
    assert {"alert"} <= CARD_SUMMARIES.keys() and {"alert"} <= TILE_FACTS.keys()
    assert {"web_request", "move_card", "create_linked_card"} <= actions.available()
    handlers = list(events._in_transaction)
    wiring.wire()  # idempotent: nothing is registered twice
    assert events._in_transaction == handlers


def test_a_process_that_did_not_wire_is_told_so() -> None:
    # A fresh interpreter: importing every domain registers nothing by side effect, and
    # the jobs refuse to start unwired (they would write cards no rule or webhook hears).
    script = (
        "import app.main, app.worker\n"
        "from app import wiring\n"
        "from app.jobs import start_jobs\n"
        "print(len(wiring.missing()))\n"
        "try:\n"
        "    start_jobs(None, None)  # type: ignore\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    count, message = found.stdout.splitlines()
    assert int(count) == 6  # every one
    assert message.startswith("app.wiring.wire() has not run: missing")
