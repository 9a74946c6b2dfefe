"""Benchmark alert ingestion: alerts/s and latency, against a no-op endpoint in the same run.

    .venv/bin/python bench/ingest.py                      # SQLite file in a temp dir
    .venv/bin/python bench/ingest.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/ingest.py --workers 2 --connections 64 --seconds 10
    .venv/bin/python bench/ingest.py --no-writer          # the one-process `firelane serve`
    .venv/bin/python bench/ingest.py --table --postgres-server postgresql+psycopg://postgres@127.0.0.1/postgres

``--table`` prints issue 20's table instead: alerts/s and p50 at 1, 4, 16 and 64 concurrent
senders (distinct keys, ``serve --ingest-writer``), on SQLite and on PostgreSQL (a database
made for the run on ``--postgres-server``, dropped after), with the CPU time per alert of
Firelane's processes and PostgreSQL's, and the no-op endpoint's rate from the same run.

Firelane runs as the README recommends for production on two cores: ``firelane serve
--ingest-writer`` (one HTTP process, one ingest writer process; ``--workers N`` for N HTTP
processes), durable commits (SQLite ``synchronous=FULL``). ``--no-writer`` measures the
setups without a writer: ``firelane serve`` (one process) or, with ``--workers N``, plain
``uvicorn --workers N`` where each process stores its own alerts. The load comes from
``wrk`` (Debian package ``wrk``) in its own process, one Alertmanager alert per request.
Three runs: a no-op FastAPI app that only parses and validates the same payload (in
``--noop-workers`` processes, by default one per core: the machine's ceiling), then
Firelane with distinct keys (every request opens a new card), then with one key (every
request repeats the same alert). For each Firelane run it also prints the CPU time each
process used per alert (read from /proc): the HTTP process, its children (the ingest
writer) and, on PostgreSQL, the server's processes (all of this machine's, so run it on an
otherwise quiet server). Each server first gets ``--warmup`` seconds of load (distinct keys
for Firelane, every wrk run drawing keys of its own), not measured (a fresh process
compiles its statements and fills its caches). The database is emptied of nothing between
runs. Distinct keys go first: the one-key run updates one alert and one card thousands of
times, and on a PostgreSQL server whose autovacuum is off (this development machine's)
those dead rows would stay in the way of the next run's index scans, which a production
server's autovacuum clears within a minute. The server's output goes to ``server.log`` in
the working directory of the run, kept when the run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_used, processes  # noqa: E402 - after the path it needs
from tests.support import postgres_database  # noqa: E402

SECRET_KEY = "bench-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway benchmark database

PAYLOAD: dict[str, Any] = {
    "receiver": "firelane",
    "status": "firing",
    "version": "4",
    "groupKey": '{}:{alertname="HostHighCpuLoad"}',
    "externalURL": "http://alertmanager:9093",
    "groupLabels": {"alertname": "HostHighCpuLoad"},
    "commonLabels": {"alertname": "HostHighCpuLoad", "job": "node"},
    "commonAnnotations": {},
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HostHighCpuLoad",
                "instance": "db-prod-01:9100",
                "job": "node",
                "severity": "warning",
            },
            "annotations": {
                "summary": "CPU load above 90% on db-prod-01",
                "runbook_url": "https://runbooks.example.com/node/HostHighCpuLoad",
            },
            "startsAt": "2026-11-26T08:14:30Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=node_cpu",
            "fingerprint": "FINGERPRINT",
        }
    ],
}

# wrk builds every request itself: with distinct keys each one carries a new key (a run's
# own prefix: Lua's unseeded random numbers repeat from one wrk run to the next).
WRK_SCRIPT = """
local counter = 0
local body = [[%(body)s]]
local distinct = %(distinct)s
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local fp = "one-key"
  if distinct then fp = "%(run)s-" .. tid .. "-" .. counter end
  local b = string.gsub(body, "FINGERPRINT", fp)
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s",
  }, b)
end
"""


def noop_app() -> Any:
    """A FastAPI app that only reads and validates the same payload (the ceiling)."""
    from app.alerts.sources import alertmanager, parse_json

    noop = FastAPI()

    @noop.post("/api/v1/ingest/{integration_id}", status_code=202)
    async def ingest(integration_id: int, request: Request) -> JSONResponse:
        data = parse_json(await request.body())
        payload = alertmanager.parse(data)
        return JSONResponse({"accepted": len(payload.alerts), "cards": []}, status_code=202)

    return noop


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _setup(url: str) -> tuple[int, str]:
    """Migrate the database and create a board and an Alertmanager integration."""
    from app.alerts import service
    from app.alerts.models import IntegrationKind
    from app.alerts.schemas import IntegrationCreate
    from app.boards import service as boards
    from app.boards.schemas import BoardCreate
    from app.core.db import Database
    from app.core.migrate import upgrade

    upgrade(url)
    db = Database.from_url(url)
    with db.session() as session:
        board = boards.create_board(session, data=BoardCreate(name="Bench", slug="bench"))
        data = IntegrationCreate(name="bench", kind=IntegrationKind.alertmanager, board_id=board.id)
        integration, token = service.create_integration(session, data=data, secret_key=SECRET_KEY)
        integration_id = integration.id
    db.dispose()
    assert integration_id is not None
    return integration_id, token


def _uvicorn(target: list[str], port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", *target,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def _firelane(port: int, workers: int, *, writer: bool) -> list[str]:
    return [
        sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", *(["--ingest-writer"] if writer else []),
    ]  # fmt: skip


def _serve(
    command: list[str], port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start; see {log}")


def _wrk(
    port: int,
    path: str,
    token: str,
    *,
    distinct: bool,
    seconds: int,
    connections: int,
    threads: int,
) -> dict[str, float]:
    body = json.dumps(PAYLOAD, separators=(",", ":"))
    script = WRK_SCRIPT % {
        "body": body,
        "distinct": "true" if distinct else "false",
        "run": uuid.uuid4().hex[:12],
        "path": path,
        "token": token,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--latency", "--timeout", "10s", "-s", handle.name, f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(handle.name).unlink()
    return _parse(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _parse(output: str) -> dict[str, float]:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s|m)\b", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if not (rate and p50 and p99 and total):
        raise SystemExit(f"could not read wrk's output:\n{output}")
    if socket_errors:
        print(f"  wrk socket errors: {socket_errors.group(1)}")
    return {
        "rate": float(rate.group(1)),
        "p50": _ms(*p50.groups()),
        "p99": _ms(*p99.groups()),
        "requests": float(total.group(1)),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _count(url: str) -> tuple[int, int, int]:
    from sqlalchemy import text

    from app.core.db import Database

    db = Database.from_url(url)
    with db.engine.connect() as conn:
        cards = conn.execute(text("SELECT count(*) FROM card")).scalar_one()
        occurrences = conn.execute(
            text("SELECT coalesce(sum(occurrences), 0) FROM alert")
        ).scalar_one()
        signals = conn.execute(text("SELECT count(*) FROM alert_signal")).scalar_one()
    db.dispose()
    return int(cards), int(occurrences), int(signals)


def _settled(url: str) -> tuple[int, int, int]:
    """Count once the server has finished the requests wrk left in flight."""
    last = _count(url)
    while True:
        time.sleep(1)
        current = _count(url)
        if current == last:
            return current
        last = current


SENDERS = (1, 4, 16, 64)


def _served(url: str) -> tuple[str, str, dict[str, str]]:
    """An integration to post to (its ingest path and token), and the environment that
    serves Firelane on ``url`` for the bench."""
    integration_id, token = _setup(url)
    env = {
        **os.environ,
        "FIRELANE_DATABASE_URL": url,
        "FIRELANE_SCHEDULER": "false",
        "FIRELANE_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
    }
    return f"/api/v1/ingest/{integration_id}", token, env


def _sweep(url: str, args: argparse.Namespace, log: Path) -> dict[int, dict[str, float]]:
    """Firelane (``serve --ingest-writer``) at each count of concurrent senders, distinct
    keys; each figure with the CPU ms per alert of Firelane's processes and PostgreSQL's."""
    from sqlalchemy.engine import make_url

    path, token, env = _served(url)
    postgres = url.startswith("postgresql")
    port = _free_port()
    server = _serve(_firelane(port, args.workers, writer=True), port, env, log)
    rows: dict[int, dict[str, float]] = {}
    try:
        if args.warmup:
            warm = {"seconds": args.warmup, "connections": 16, "threads": 1}
            _wrk(port, path, token, distinct=True, **warm)
        database = make_url(url).database if postgres else None
        found = processes(server.pid, postgres=postgres, database=database)
        for senders in SENDERS:
            _settled(url)
            start = cpu_used(found)
            load = {"seconds": args.seconds, "connections": senders, "threads": 1}
            figures = _wrk(port, path, token, distinct=True, **load)
            end = cpu_used(found)
            sent = max(figures["requests"], 1)
            for role in start:
                figures[f"cpu {role}"] = 1000 * (end[role] - start[role]) / sent
            figures["cpu"] = sum(figures[f"cpu {role}"] for role in start)
            rows[senders] = figures
    finally:
        server.terminate()
        server.wait()
    return rows


def _table(args: argparse.Namespace) -> None:
    """Issue 20's table: SQLite and PostgreSQL at 1, 4, 16 and 64 senders, and the no-op."""
    workdir = Path(tempfile.mkdtemp(prefix="firelane-bench-"))
    log = workdir / "server.log"
    sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}
    path, token = "/api/v1/ingest/1", "unchecked"  # the no-op reads neither
    port = _free_port()
    server = _serve(
        _uvicorn(["--factory", "ingest:noop_app"], port, args.noop_workers), port, env, log
    )
    try:
        load = {"seconds": args.seconds, "connections": 64, "threads": 1}
        noop = _wrk(port, path, token, distinct=False, **load)
    finally:
        server.terminate()
        server.wait()
    sqlite = _sweep(sqlite_url, args, log)
    with postgres_database(args.postgres_server, "firelane_bench") as postgres_url:
        postgres = _sweep(postgres_url, args, log)
    print(
        f"serve --ingest-writer, {args.workers} HTTP process(es), distinct keys, "
        f"{args.seconds}s per run; no-op (parse + validate, {args.noop_workers} processes, "
        f"64 connections): {noop['rate']:.0f}/s"
    )
    print("| concurrent senders | SQLite alerts/s (p50) | PostgreSQL alerts/s (p50) | PG/SQLite |")
    print("|---|---|---|---|")
    for senders in SENDERS:
        lite, pg = sqlite[senders], postgres[senders]
        print(
            f"| {senders} | {lite['rate']:,.0f} ({lite['p50']:.1f} ms) "
            f"| {pg['rate']:,.0f} ({pg['p50']:.1f} ms) | {pg['rate'] / lite['rate']:.0%} |"
        )
    print("CPU ms per alert (http, writer and spare, PostgreSQL's backends of the run):")
    for name, rows in (("SQLite", sqlite), ("PostgreSQL", postgres)):
        for senders in SENDERS:
            parts = ", ".join(
                f"{key[4:]} {value:.3f}"
                for key, value in rows[senders].items()
                if key.startswith("cpu ")
            )
            print(f"  {name:<10} {senders:>2} senders: total {rows[senders]['cpu']:.3f} ({parts})")
    errors = sum(row["errors"] for rows in (sqlite, postgres) for row in rows.values())
    print(f"non-2xx answers: {errors:.0f}")
    one, four = postgres[1]["p50"], postgres[4]["p50"]
    print(
        f"goals: PG/SQLite at 16 senders {postgres[16]['rate'] / sqlite[16]['rate']:.0%} "
        f"(>= 60%); PG p50 at 4 senders / at 1 sender {four / one:.2f} (<= 2)"
    )
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    parser.add_argument("--workers", type=int, default=1, help="Firelane's HTTP processes")
    parser.add_argument(
        "--no-writer",
        action="store_true",
        help="no ingest writer process: `firelane serve`, or uvicorn --workers N",
    )
    parser.add_argument("--noop-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of load before measuring each app"
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="issue 20's table: 1, 4, 16, 64 senders, SQLite and PostgreSQL, and the no-op",
    )
    parser.add_argument(
        "--postgres-server",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="with --table: the server on which a database is made for the run",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    if args.table:
        _table(args)
        return
    workdir = Path(tempfile.mkdtemp(prefix="firelane-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    path, token, env = _served(url)
    load = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    # A server that has just started compiles statements and fills caches: not measured.
    warm = {**load, "seconds": args.warmup}
    backend = url.split(":", 1)[0].split("+", 1)[0]
    model = "no writer" if args.no_writer else "ingest writer process"
    print(
        f"backend {backend}, {args.workers} HTTP process(es), {model}, no-op in "
        f"{args.noop_workers}, {args.connections} connections, {args.seconds}s per run "
        f"after {args.warmup}s of warm-up"
    )
    results: dict[str, dict[str, float]] = {}
    spent: dict[str, tuple[dict[str, float], dict[str, float], float]] = {}
    port = _free_port()
    log = workdir / "server.log"
    noop = _uvicorn(["--factory", "ingest:noop_app"], port, args.noop_workers)
    server = _serve(noop, port, env, log)
    try:
        if args.warmup:
            _wrk(port, path, token, distinct=False, **warm)
        results["no-op (parse + validate)"] = _wrk(port, path, token, distinct=False, **load)
    finally:
        server.terminate()
        server.wait()
    port = _free_port()
    if args.no_writer and args.workers > 1:
        command = _uvicorn(["--factory", "app.main:create_app"], port, args.workers)
    else:
        command = _firelane(port, args.workers, writer=not args.no_writer)
    server = _serve(command, port, env, log)
    try:
        if args.warmup:  # distinct keys: every run draws keys of its own
            _wrk(port, path, token, distinct=True, **warm)
        found = processes(server.pid, postgres=backend == "postgresql")
        before = _settled(url)
        cpu_before = cpu_used(found)
        results["firelane, distinct keys"] = many = _wrk(port, path, token, distinct=True, **load)
        cpu_middle = cpu_used(found)
        middle = _settled(url)
        cpu_settled = cpu_used(found)
        results["firelane, one key"] = one = _wrk(port, path, token, distinct=False, **load)
        cpu_after = cpu_used(found)
        after = _settled(url)
        spent["distinct keys"] = (cpu_before, cpu_middle, many["requests"])
        spent["one key"] = (cpu_settled, cpu_after, one["requests"])
    finally:
        server.terminate()
        server.wait()
    ceiling = results["no-op (parse + validate)"]["rate"]
    print(f"{'run':<28}{'alerts/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'of no-op':>10}{'non-2xx':>9}")
    for name, figures in results.items():
        share = figures["rate"] / ceiling if ceiling else 0
        print(
            f"{name:<28}{figures['rate']:>10.0f}{figures['p50']:>9.1f}{figures['p99']:>9.1f}"
            f"{share:>9.0%}{figures['errors']:>9.0f}"
        )
    # Where the time goes: each process's CPU time during the run, per request wrk sent.
    for name, (start, end, sent) in spent.items():
        parts = ", ".join(
            f"{role} {1000 * (end[role] - start[role]) / max(sent, 1):.3f}"
            for role in start
            if start[role] or end[role]
        )
        print(f"cpu ms per alert, {name}: {parts}")
    # Every 2xx must be on disk: the database holds at least what wrk was answered (more
    # when requests still in flight as wrk stopped were stored after it stopped counting).
    print(
        f"check: distinct  → cards +{middle[0] - before[0]}, signals +{middle[2] - before[2]} "
        f"for {many['requests'] - many['errors']:.0f} answered"
    )
    print(
        f"check: one key   → cards +{after[0] - middle[0]}, occurrences +{after[1] - middle[1]} "
        f"for {one['requests'] - one['errors']:.0f} answered"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
