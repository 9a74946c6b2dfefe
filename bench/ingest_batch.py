"""Where an ingest batch's time goes: ``run_batch`` in this process, no HTTP, no writer.

Stores batches of new alerts (distinct keys, one Alertmanager alert per request, as
``bench/ingest.py`` sends them) one after another on one connection, after a warm-up, and
prints per batch: wall time, this process's CPU time, the statements SQLAlchemy sent
(each one a round trip on PostgreSQL; psycopg's BEGIN and the COMMIT are one more each,
and writes queued by ``app.core.deferred`` travel with the COMMIT) and, for each kind of
statement, how often it ran and the wall and CPU time spent in the driver's call.
``--profile`` adds cProfile's top functions (its own overhead inflates the times).

    .venv/bin/python bench/ingest_batch.py --batch 1 --batches 300          # SQLite
    .venv/bin/python bench/ingest_batch.py --batch 16 \\
        --postgres-server postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Wall and CPU times swing by a fifth from run to run on a shared two-core machine: compare
two versions in alternating runs. For the CPU this process spends, repeatable counts come
from ``valgrind --tool=callgrind`` (the instructions of two ``--batches`` counts,
subtracted).
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FIRELANE_SECRET_KEY", "bench-secret-key-0123456789abcdef")

from app.alerts.ingest.batch import IngestWork  # noqa: E402 - after the path it needs
from app.alerts.ingest.committer import run_batch  # noqa: E402
from app.alerts.models import IntegrationKind  # noqa: E402
from app.alerts.sources import normalise  # noqa: E402
from app.auth.credentials import hash_secret  # noqa: E402
from app.core.db import Database  # noqa: E402
from bench.ingest import PAYLOAD, _setup  # noqa: E402
from tests.support import postgres_database  # noqa: E402


class Works:
    """Requests of one new alert each, keys never seen before."""

    def __init__(self, integration_id: int, token: str) -> None:
        self.integration_id = integration_id
        self.token_hash = hash_secret(token)
        self.made = 0

    def batch(self, size: int) -> list[IngestWork]:
        works = []
        for _ in range(size):
            self.made += 1
            payload = copy.deepcopy(PAYLOAD)
            payload["alerts"][0]["fingerprint"] = f"batch-{self.made}"
            body = json.dumps(payload)
            works.append(
                IngestWork(
                    integration_id=self.integration_id,
                    token_hash=self.token_hash,
                    alerts=normalise(IntegrationKind.alertmanager, payload, {}),
                    body=body,
                    size_bytes=len(body),
                )
            )
        return works


class Statements:
    """The statements SQLAlchemy sends, by kind: how many, wall and CPU time in the call."""

    def __init__(self, db: Database) -> None:
        self.kinds: dict[str, list[float]] = {}
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)
        self._started: tuple[float, float] = (0.0, 0.0)

    def _before(self, *_args: Any) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        kind = " ".join(statement.split()[:3])[:48]
        figures = self.kinds.setdefault(kind, [0, 0.0, 0.0])
        figures[0] += 1
        figures[1] += wall - self._started[0]
        figures[2] += cpu - self._started[1]

    def count(self) -> int:
        return int(sum(figures[0] for figures in self.kinds.values()))


def measure(url: str, args: argparse.Namespace) -> None:
    integration_id, token = _setup(url)
    db = Database.from_url(url)
    works = Works(integration_id, token)
    try:
        for _ in range(args.warmup):
            run_batch(db, works.batch(args.batch))
        batches = [works.batch(args.batch) for _ in range(args.batches)]
        statements = Statements(db)
        profile = cProfile.Profile() if args.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        for batch in batches:
            run_batch(db, batch)
        if profile is not None:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        db.dispose()
    n = args.batches
    print(
        f"{db.dialect}, batches of {args.batch} new alert(s), {n} batches: "
        f"wall {1000 * wall / n:.2f} ms, CPU {1000 * cpu / n:.2f} ms per batch "
        f"({1000 * wall / n / args.batch:.3f} / {1000 * cpu / n / args.batch:.3f} ms per alert); "
        f"{statements.count() / n:.1f} statements per batch"
    )
    ordered = sorted(statements.kinds.items(), key=lambda item: -item[1][1])
    for kind, (count, spent, used) in ordered:
        figures = f"wall {1000 * spent / n:.3f} ms  CPU {1000 * used / n:.3f} ms"
        print(f"  {count / n:4.1f}x  {figures}  {kind}")
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.postgres_server:
        with postgres_database(args.postgres_server, "firelane_batch") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="firelane-batch-") as workdir:
        yield f"sqlite:///{workdir}/bench.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1, help="new alerts per batch")
    parser.add_argument("--batches", type=int, default=200, help="batches measured")
    parser.add_argument("--warmup", type=int, default=100, help="batches stored first")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions")
    parser.add_argument(
        "--postgres-server",
        default=None,
        help="a PostgreSQL server URL: a database is made on it for the run, dropped after",
    )
    args = parser.parse_args()
    with _database(args) as url:
        measure(url, args)


if __name__ == "__main__":
    main()
