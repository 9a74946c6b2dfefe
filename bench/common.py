"""Shared pieces of the benchmarks: a real server in a subprocess and percentile maths."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "n": float(len(ordered))}


def describe(name: str, samples_ms: list[float]) -> str:
    p = percentiles(samples_ms)
    figures = "   ".join(f"{key} {p[key]:7.2f} ms" for key in ("p50", "p95", "p99"))
    return f"{name:<28} {figures}   (n={int(p['n'])})"


@contextmanager
def serve(env: dict[str, str], *extra: str) -> Iterator[str]:
    """Run `firelane serve` in a subprocess on a free port; yield its base URL."""
    port = free_port()
    full_env = {**os.environ, **env, "FIRELANE_SCHEDULER": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(server: int, postgres: bool, database: str | None = None) -> dict[str, list[int]]:
    """Firelane's processes by role (the serving process, its children), and PostgreSQL's.

    With ``database``, only the PostgreSQL backends connected to it (their process title
    names it): the server's other clients (other people's tests) stay out of the figure.
    """
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    found = {"http": [server], "children": [int(pid) for pid in children]}
    if postgres:
        listing = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
        pids = [int(pid) for pid in listing.stdout.split()]
        if database is not None:
            pids = [pid for pid in pids if f" {database} " in _title(pid)]
        found["postgres"] = pids
    return found


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def cpu_used(found: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each role's processes (ended ones no longer count)."""
    used: dict[str, float] = {}
    for role, pids in found.items():
        total = 0.0
        for pid in pids:
            try:
                total += cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue  # a PostgreSQL backend that has ended
        used[role] = total
    return used
