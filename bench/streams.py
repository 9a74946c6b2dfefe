"""What open board streams cost ingestion: alerts/s with 100 open streams against none.

`firelane serve --ingest-writer` (SQLite unless --database-url), the bench board and
integration of bench/ingest.py, wrk posting one Alertmanager alert per request with distinct
keys (each one a new card on the watched board: the most the streams can cost). Rounds of
"none" and "100 streams" alternate (ABBA); in the second, 100 clients follow the board's
stream for the whole run and count the card events they receive.

    .venv/bin/python bench/streams.py [--streams 100] [--rounds 2] [--seconds 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import SECRET_KEY, _firelane, _free_port, _serve, _setup, _wrk


def _token(url: str) -> str:
    from app.auth import service
    from app.auth.models import Role
    from app.auth.schemas import UserCreate
    from app.core.db import Database

    db = Database.from_url(url)
    with db.session() as session:
        user = service.create_user(session, data=UserCreate(name="watcher", role=Role.viewer))
        _, token = service.create_token(session, user=user, label="bench")
    db.dispose()
    return token


class Watchers:
    """``count`` clients reading the board's stream until stopped."""

    def __init__(self, base: str, token: str, count: int) -> None:
        self.events = [0] * count
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._follow, args=(base, token, n), daemon=True)
            for n in range(count)
        ]

    def _follow(self, base: str, token: str, number: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=base, headers=headers, timeout=60) as client,
            client.stream("GET", "/api/v1/boards/1/stream") as response,
        ):
            for chunk in response.iter_bytes():
                self.events[number] += chunk.count(b"event: card")
                if self.stopping.is_set():
                    return

    def __enter__(self) -> Watchers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        integration_id, ingest_token = _setup(url)
        token = _token(url)
        port = _free_port()
        env = {
            **os.environ,
            "FIRELANE_DATABASE_URL": url,
            "FIRELANE_SECRET_KEY": SECRET_KEY,
            "FIRELANE_SCHEDULER": "false",
        }
        server = _serve(_firelane(port, 1, writer=True), port, env, Path(tmp) / "serve.log")
        base = f"http://127.0.0.1:{port}"
        path = f"/api/v1/ingest/{integration_id}"
        run = {"distinct": True, "seconds": args.seconds, "connections": args.connections}
        try:
            _wrk(port, path, ingest_token, **{**run, "seconds": 2}, threads=1)  # warm-up
            rates: dict[str, list[float]] = {"none": [], "streams": []}
            order = ["none", "streams", "streams", "none"] * args.rounds
            for setup in order[: 2 * args.rounds]:
                if setup == "none":
                    result = _wrk(port, path, ingest_token, **run, threads=1)
                    print(
                        f"  no streams: {result['rate']:,.0f} alerts/s, p99 {result['p99']:.1f} ms"
                    )
                else:
                    with Watchers(base, token, args.streams) as watchers:
                        result = _wrk(port, path, ingest_token, **run, threads=1)
                    heard = sum(watchers.events) / args.streams
                    print(
                        f"  {args.streams} streams: {result['rate']:,.0f} alerts/s, "
                        f"p99 {result['p99']:.1f} ms, each stream heard {heard:,.0f} card events"
                    )
                rates[setup].append(result["rate"])
        finally:
            server.terminate()
            server.wait(30)
    none, streams = statistics.median(rates["none"]), statistics.median(rates["streams"])
    print(
        f"ingest with {args.streams} open streams: {streams:,.0f} alerts/s against "
        f"{none:,.0f} without (median of {args.rounds} each): "
        f"{100 * (none - streams) / none:.1f} % drop"
    )


if __name__ == "__main__":
    main()
