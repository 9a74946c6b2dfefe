"""What open board streams cost ingestion: alerts/s and CPU per alert, with 0, 1 and 100 streams.

`firelane serve --ingest-writer` (SQLite unless --database-url names a PostgreSQL server:
a database of its own is made there and dropped after), the bench board and integration of
bench/ingest.py, wrk posting one Alertmanager alert per request with distinct keys (each
one a new card on the watched board: the most the streams can cost). Setups alternate
(0, 1, 100, 100, 1, 0 streams per round) and each figure is the median of its runs.

The readers are one process of their own (bench/sse_watchers.py: raw sockets, one
selector, no parsing), so that what they cost is counted apart from what the server
spends. For every run it prints the CPU time each process used per alert stored, read
from /proc: the HTTP process (API and the streams), the ingest writer, PostgreSQL's
backends of the bench database, the readers and wrk. The HTTP process's CPU per alert with
100 streams minus without is the server's cost of the streams; with 1 stream against 100
it splits into what is paid once per process (reading the log, rendering frames) and what
is paid per stream.

    .venv/bin/python bench/streams.py [--streams 1,100] [--rounds 2] [--seconds 8]
    .venv/bin/python bench/streams.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, cpu_used, processes  # noqa: E402
from bench.ingest import SECRET_KEY, _firelane, _free_port, _serve, _wrk  # noqa: E402
from bench.ingest import _setup as _setup_ingest  # noqa: E402


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


@contextmanager
def _database(url: str | None, tmp: str) -> Iterator[str]:
    """A SQLite file in ``tmp``, or a new database on the PostgreSQL server of ``url``."""
    if url is None:
        yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"bench_streams_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _watchers(port: int, token: str, count: int) -> Iterator[dict[str, Any]]:
    """``count`` readers of board 1's stream in one process; yields its pid, then its tally."""
    result: dict[str, Any] = {}
    if count == 0:
        yield result
        return
    path = "/api/v1/boards/1/stream"
    command = [sys.executable, str(ROOT / "bench" / "sse_watchers.py")]
    process = subprocess.Popen(
        [*command, "127.0.0.1", str(port), path, token, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise SystemExit("the stream readers did not start")
    result["pid"] = process.pid
    try:
        yield result
    finally:
        result["cpu"] = cpu_seconds(process.pid)
        process.stdin.write("stop\n")
        process.stdin.flush()
        result.update(json.loads(process.stdout.readline()))
        process.wait(30)


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (wrk, once it has been waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(
    setup: int, port: int, server: int, url: str, token: str, ingest: tuple[str, str], args: Any
) -> dict[str, Any]:
    path, ingest_token = ingest
    database = make_url(url).database if url.startswith("postgresql") else None
    with _watchers(port, token, setup) as watchers:
        found = processes(server, postgres=database is not None, database=database)
        readers = watchers.get("pid")
        before = cpu_used(found)
        readers_before = cpu_seconds(readers) if readers else 0.0
        wrk_before = _children_cpu()
        result = _wrk(
            port,
            path,
            ingest_token,
            distinct=True,
            seconds=args.seconds,
            connections=args.connections,
            threads=1,
        )
        after = cpu_used(found)
        wrk = _children_cpu() - wrk_before
    stored = max(result["requests"] - result["errors"], 1)
    cpu = {role: 1000 * (after[role] - before[role]) / stored for role in before}
    if readers:
        cpu["readers"] = 1000 * (watchers["cpu"] - readers_before) / stored
    cpu["wrk"] = 1000 * wrk / stored
    heard = statistics.median(watchers["heard"]) if setup else 0
    return {"rate": result["rate"], "p99": result["p99"], "cpu": cpu, "heard": heard}


def main() -> None:
    # Stopped from outside, still stop the server and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--streams", default="1,100", help="stream counts besides none")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    counts = [0, *(int(n) for n in args.streams.split(","))]
    with tempfile.TemporaryDirectory() as tmp, _database(args.database_url, tmp) as url:
        integration_id, ingest_token = _setup_ingest(url)
        token = _token(url)
        port = _free_port()
        env = {
            **os.environ,
            "FIRELANE_DATABASE_URL": url,
            "FIRELANE_SECRET_KEY": SECRET_KEY,
            "FIRELANE_SCHEDULER": "false",
        }
        server = _serve(_firelane(port, 1, writer=True), port, env, Path(tmp) / "serve.log")
        ingest = (f"/api/v1/ingest/{integration_id}", ingest_token)
        runs: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
        try:
            warm = {"distinct": True, "seconds": 2, "connections": args.connections}
            _wrk(port, ingest[0], ingest_token, **warm, threads=1)
            for round_number in range(args.rounds):
                order = counts if round_number % 2 == 0 else counts[::-1]
                for setup in order:
                    run = _run(setup, port, server.pid, url, token, ingest, args)
                    runs[setup].append(run)
                    cpu = ", ".join(f"{role} {ms:.3f}" for role, ms in run["cpu"].items())
                    print(
                        f"  {setup:>3} streams: {run['rate']:7,.0f} alerts/s, p99 "
                        f"{run['p99']:6.1f} ms, each stream heard {run['heard']:,.0f} card "
                        f"events; cpu ms per alert: {cpu}",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(30)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    none = statistics.median(r["rate"] for r in runs[0])
    print(f"{backend}, `serve --ingest-writer`, median of {args.rounds} runs each:")
    for setup in counts:
        rate = statistics.median(r["rate"] for r in runs[setup])
        roles = runs[setup][0]["cpu"].keys()
        cpu = ", ".join(
            f"{role} {statistics.median(r['cpu'].get(role, 0) for r in runs[setup]):.3f}"
            for role in roles
        )
        drop = f", {100 * (rate - none) / none:+.1f} % against none" if setup else ""
        print(f"  {setup:>3} streams: {rate:7,.0f} alerts/s{drop}; cpu ms per alert: {cpu}")


if __name__ == "__main__":
    main()
