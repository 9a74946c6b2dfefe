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
