"""What a board stream's frames cost to render: CPU time per card event, and bytes per alert.

Stores ``--alerts`` Alertmanager alerts with distinct keys through the ingest endpoint (each
a new fire card: a ``card.created`` and an ``alert.fired`` event), then renders the frames of
all their events the way each server process's tail does, once for all its streams
(app/boards/live/tail.render: the cards' tiles read by a few queries, written as JSON), and
prints the best of ``--runs`` CPU times. No server, no streams: the cost every process pays
per event whatever the number of streams (bench/streams.py measures the whole).

    .venv/bin/python bench/stream_frames.py [--alerts 400] [--runs 7] [--database-url URL]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import PAYLOAD, SECRET_KEY, _setup
from bench.streams import _database


def main() -> None:
    from fastapi.testclient import TestClient

    from app.boards.live.tail import read_board, render
    from app.core.config import Settings
    from app.core.db import Database
    from app.main import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=400)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _database(args.database_url, tmp) as url:
        integration_id, token = _setup(url)
        db = Database.from_url(url)
        settings = Settings(_env_file=None, database_url=url, secret_key=SECRET_KEY)  # type: ignore[call-arg]
        app = create_app(settings, db=db, run_scheduler=False)
        with TestClient(app) as client:
            for number in range(args.alerts):
                payload = copy.deepcopy(PAYLOAD)
                payload["alerts"][0]["fingerprint"] = f"frames-{number}"
                sent = client.post(
                    f"/api/v1/ingest/{integration_id}",
                    json=payload,
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert sent.status_code == 202, sent.text
        with db.session(readonly=True) as session:
            rows = read_board(session, board_id=1, after=0, upto=2**31 - 1, limit=10**7)
        assert rows is not None
        best = float("inf")
        for _ in range(args.runs):
            started = time.process_time()
            with db.session(readonly=True) as session:
                frames = render(session, rows)
            best = min(best, time.process_time() - started)
        size = sum(len(frame.frame) for frame in frames)
        db.dispose()
    per_event = 1e6 * best / len(rows)
    print(
        f"{len(rows)} card events of {args.alerts} new alerts: {per_event:.1f} µs of CPU per "
        f"event ({per_event * len(rows) / args.alerts:.1f} per alert), "
        f"{size / args.alerts:.0f} bytes of frames per alert (best of {args.runs})"
    )


if __name__ == "__main__":
    main()
