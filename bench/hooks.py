"""Benchmark outgoing hooks: delivery throughput, and what subscriptions cost alert ingestion.

    .venv/bin/python bench/hooks.py                       # SQLite file in a temp dir
    .venv/bin/python bench/hooks.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/hooks.py --deliveries 5000 --seconds 8 --rounds 2

1. Deliveries/s (goal >= 500/s): 5,000 deliveries are queued through the outbox (the same
   in-transaction path events take), then one ``DeliveryLoop`` in this process claims, signs,
   sends and records them all against a local receiver (uvicorn in its own process, answering
   200). Every delivery must arrive exactly once.
2. Alert ingest with 10 active webhook subscriptions vs none (goal: <= 10 % drop): Firelane
   runs as the README recommends (``firelane serve --ingest-writer``, the setting
   bench/ingest.py uses; ``--no-writer`` for ``uvicorn --workers N``; durable commits) with
   the scheduler and delivery loop off, so the
   request path's cost is measured alone; ``wrk`` (Debian package ``wrk``) posts one
   Alertmanager alert per request with distinct keys. Runs alternate in ABBA order (none,
   10, 10, none, ...) for ``--rounds`` pairs after a warm-up, to even out drift (the
   database grows, neighbours on a shared machine come and go).
   The request path writes one outbox row per transaction for its card events, whatever the
   number of events and webhooks; the delivery rows (one per event and webhook) are written
   by the fan-out, which the delivery loop runs in production. After each run the bench
   runs it (not timed as ingest), checks that every event got one delivery per webhook,
   and reports its rate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_used, processes  # noqa: E402 - after the path it needs

# The receivers run on this host: let the delivery loop reach loopback addresses.
os.environ.setdefault("FIRELANE_HOOKS_ALLOW_PRIVATE", "true")
SECRET_KEY = "bench-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway database

# A receiver that counts what it gets, for ``uvicorn --factory hooks:receiver_app``.
_COUNT = {"n": 0}


def receiver_app() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            _COUNT["n"] += 1
            body = b"ok"
        else:
            body = str(_COUNT["n"]).encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


PAYLOAD: dict[str, Any] = {
    "receiver": "firelane",
    "status": "firing",
    "version": "4",
    "groupKey": '{}:{alertname="HostHighCpuLoad"}',
    "groupLabels": {"alertname": "HostHighCpuLoad"},
    "commonLabels": {"alertname": "HostHighCpuLoad"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HostHighCpuLoad",
                "instance": "db-01:9100",
                "severity": "warning",
            },
            "annotations": {"summary": "CPU load above 90% on db-01"},
            "startsAt": "2026-11-26T08:14:30Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "FINGERPRINT",
        }
    ],
}

WRK_SCRIPT = """
local counter = 0
local body = [[%(body)s]]
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local b = string.gsub(body, "FINGERPRINT", "%(run)s-" .. tid .. "-" .. counter)
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s",
  }, b)
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _uvicorn(target: list[str], port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def _firelane(port: int, workers: int) -> list[str]:
    """``firelane serve --ingest-writer`` as the README recommends, jobs off."""
    return [
        sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--ingest-writer", "--no-scheduler", "--no-access-log",
    ]  # fmt: skip


def _serve(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{command} did not start")


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "FIRELANE_DATABASE_URL": url,
        "FIRELANE_SCHEDULER": "false",
        "FIRELANE_SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
    }


# --- 1. deliveries/s -----------------------------------------------------------------


def _queue(db: Any, count: int, batch: int = 500) -> None:
    from app.core import events

    made = 0
    while made < count:
        with db.session() as session:
            for _ in range(min(batch, count - made)):
                made += 1
                events.emit(
                    session,
                    events.Event(
                        type="card.updated",
                        occurred_at=datetime.now(UTC),
                        board_id=1,
                        card_id=made,
                        actor="bench",
                        data={"card": {"id": made, "title": f"card {made}"}, "changes": {}},
                    ),
                )
            session.commit()


def bench_deliveries(url: str, count: int) -> None:
    from app.auth.models import Role, User
    from app.core.config import Settings
    from app.core.db import Database
    from app.hooks import service
    from app.hooks.config import HooksSettings
    from app.hooks.loop import DeliveryLoop
    from app.hooks.schemas import WebhookCreate
    from app.jobs import wire

    wire()
    port = _free_port()
    receiver = _serve(_uvicorn(["--factory", "hooks:receiver_app"], port), port, _env(url))
    db = Database.from_url(url)
    try:
        with db.session() as session:
            data = WebhookCreate(url=f"http://127.0.0.1:{port}/hook", events=["card.updated"])
            service.create_webhook(
                session, data=data, actor=User(name="bench", role=Role.admin), secret_key=SECRET_KEY
            )
        started = time.perf_counter()
        _queue(db, count)
        queued = time.perf_counter() - started
        settings = Settings(_env_file=None, database_url=url, secret_key=SECRET_KEY)
        loop = DeliveryLoop(db, settings, hooks=HooksSettings(_env_file=None))
        started = time.perf_counter()
        sent = loop.run_until_idle()
        elapsed = time.perf_counter() - started
        loop.close()
        got = int(httpx.get(f"http://127.0.0.1:{port}/count").text)
    finally:
        receiver.terminate()
        receiver.wait()
        db.dispose()
    hooks = HooksSettings(_env_file=None)
    print(f"queued {count} deliveries through the outbox in {queued:.1f} s")
    print(
        f"delivered {sent} in {elapsed:.2f} s: {sent / elapsed:.0f} deliveries/s "
        f"(concurrency {hooks.concurrency}, batch {hooks.batch_size}); receiver got {got}"
    )
    if got != count or sent != count:
        raise SystemExit("FAIL: every delivery must arrive exactly once")


# --- 2. ingest with and without subscriptions ----------------------------------------


def _admin_token(url: str) -> str:
    from app.auth import service
    from app.auth.models import Role
    from app.auth.schemas import UserCreate
    from app.core.db import Database

    db = Database.from_url(url)
    with db.session() as session:
        user = service.create_user(session, data=UserCreate(name="bench", role=Role.admin))
        _, token = service.create_token(session, user=user, label="bench")
    db.dispose()
    return token


def _setup_ingest(client: httpx.Client) -> tuple[str, str, list[int]]:
    """Through the public API: a board, an Alertmanager integration, 10 paused webhooks."""
    board = client.post("/api/v1/boards", json={"name": "Bench", "slug": "bench-hooks"}).json()
    integration = client.post(
        "/api/v1/integrations",
        json={"name": "bench", "kind": "alertmanager", "board_id": board["id"]},
    )
    integration.raise_for_status()
    created = integration.json()
    path = "/" + created["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    hooks = []
    for i in range(10):
        # Nothing listens on port 9; the loop is off anyway: the rows only pile up.
        hook = client.post(
            "/api/v1/webhooks",
            json={"url": f"http://127.0.0.1:9/sub-{i}", "events": ["*"], "is_active": False},
        )
        hook.raise_for_status()
        hooks.append(hook.json()["id"])
    return path, created["token"], hooks


def _subscriptions(client: httpx.Client, hooks: list[int], *, active: bool) -> None:
    for hook_id in hooks:
        client.patch(f"/api/v1/webhooks/{hook_id}", json={"is_active": active}).raise_for_status()


def _wrk(port: int, path: str, token: str, seconds: int, connections: int) -> tuple[float, int]:
    body = json.dumps(PAYLOAD, separators=(",", ":"))
    # Lua's random is not seeded: without a run id, every run would repeat the last one's keys.
    run = uuid.uuid4().hex[:12]
    script = WRK_SCRIPT % {"body": body, "path": path, "token": token, "run": run}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
        "-s", handle.name, f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(handle.name).unlink()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if rate is None or total is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers")
    return float(rate.group(1)), int(total.group(1)) - int(errors.group(1) if errors else 0)


def _counts(url: str) -> tuple[int, int, int, float]:
    """Cards, card events and delivery rows, once the fan-out wrote every delivery; its time."""
    from sqlalchemy import text

    from app.core.db import Database
    from app.hooks import fanout

    db = Database.from_url(url)
    started = time.perf_counter()
    fanout.catch_up(db)
    fanned = time.perf_counter() - started
    with db.engine.connect() as conn:
        cards = int(conn.execute(text("SELECT count(*) FROM card")).scalar_one())
        card_events = int(conn.execute(text("SELECT count(*) FROM card_event")).scalar_one())
        deliveries = int(conn.execute(text("SELECT count(*) FROM delivery")).scalar_one())
    db.dispose()
    return cards, card_events, deliveries, fanned


def bench_ingest(
    url: str, seconds: int, rounds: int, connections: int, workers: int, *, writer: bool
) -> None:
    if shutil.which("wrk") is None:
        print("skipping the ingest comparison: wrk is missing (apt-get install wrk)")
        return
    token = _admin_token(url)
    port = _free_port()
    if writer:
        command = _firelane(port, workers)
    else:
        command = _uvicorn(["--factory", "app.main:create_app"], port, workers)
    server = _serve(command, port, _env(url))
    rates: dict[str, list[float]] = {"none": [], "10 subscriptions": []}
    # CPU ms per alert by role (HTTP process, its children: the ingest writer; PostgreSQL).
    costs: dict[str, list[dict[str, float]]] = {"none": [], "10 subscriptions": []}
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            path, ingest_token, hooks = _setup_ingest(client)
            _wrk(port, path, ingest_token, max(5, seconds), connections)  # warm up
            # ABBA order: a rate drifting with time (warm-up, a growing database, neighbours
            # on a shared machine) weighs on both sides alike.
            order = (("none", False), ("10 subscriptions", True))
            for number in range(rounds):
                for name, active in order if number % 2 == 0 else order[::-1]:
                    _subscriptions(client, hooks, active=active)
                    cards, card_events, deliveries, _ = _counts(url)
                    # Read each run: PostgreSQL's backends come and go.
                    found = processes(server.pid, postgres=url.startswith("postgresql"))
                    before = cpu_used(found)
                    rate, answered = _wrk(port, path, ingest_token, seconds, connections)
                    rates[name].append(rate)
                    time.sleep(1)  # the requests wrk left in flight
                    after = cpu_used(found)
                    cost = {
                        role: 1000 * (after[role] - before[role]) / max(answered, 1)
                        for role in before
                    }
                    costs[name].append(cost)
                    cards_after, card_events_after, deliveries_after, fanned = _counts(url)
                    made = deliveries_after - deliveries
                    expected = (card_events_after - card_events) * (10 if active else 0)
                    print(
                        f"  {name:<18} {rate:8.0f} alerts/s   {answered} answered 2xx, "
                        f"+{cards_after - cards} cards, +{made} deliveries"
                        + (f" (fan-out {made / fanned:.0f}/s)" if made else "")
                    )
                    print(
                        "    cpu ms per alert: "
                        + ", ".join(f"{role} {value:.3f}" for role, value in cost.items())
                    )
                    if made != expected:
                        raise SystemExit(f"FAIL: {made} deliveries for {expected} expected")
    finally:
        server.terminate()
        server.wait()
    none = sum(rates["none"]) / len(rates["none"])
    subscribed = sum(rates["10 subscriptions"]) / len(rates["10 subscriptions"])
    drop = 1 - subscribed / none
    print(
        f"alert ingest: {none:.0f}/s with no subscription, {subscribed:.0f}/s with 10 "
        f"active subscriptions: {drop:+.1%} drop (goal <= 10 %)"
    )
    # Each round's two runs ran side by side: their ratio drifts less than the averages.
    rounds_drops = sorted(
        1 - hooked / alone
        for alone, hooked in zip(rates["none"], rates["10 subscriptions"], strict=True)
    )
    print(
        "drop by round: "
        + ", ".join(f"{each:+.1%}" for each in rounds_drops)
        + f" (median {statistics.median(rounds_drops):+.1%})"
    )
    # Steadier than the rates on a shared machine: what each alert cost, summed over the
    # processes (the one-writer pipeline's rate follows its busiest process, the writer).
    for role in costs["none"][0]:
        without = sum(each[role] for each in costs["none"]) / len(costs["none"])
        hooked = costs["10 subscriptions"]
        with_hooks = sum(each[role] for each in hooked) / len(hooked)
        print(
            f"cpu ms per alert, {role}: {without:.3f} without, {with_hooks:.3f} with "
            f"({with_hooks / without - 1:+.1%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a SQLite file in a temp dir")
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="HTTP processes for the ingest comparison"
    )
    parser.add_argument(
        "--no-writer",
        action="store_true",
        help="no ingest writer process: uvicorn --workers N, each storing its own alerts",
    )
    args = parser.parse_args()
    from app.core.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="firelane-bench-hooks-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"backend {backend}")
    try:
        bench_deliveries(url, args.deliveries)
        bench_ingest(
            url,
            args.seconds,
            args.rounds,
            args.connections,
            args.workers,
            writer=not args.no_writer,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
