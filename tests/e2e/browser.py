"""Debian's Chromium driven by Playwright, and a Firelane server for the browser tests."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-test-password"
# Screenshots of failed browser tests land here (CI keeps the work tree).
SHOTS = Path(__file__).parents[2] / ".e2e-screenshots"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which("chromium") is not None
