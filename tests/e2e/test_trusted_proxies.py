"""X-Forwarded-For is believed only from FIRELANE_TRUSTED_PROXIES: without it, a client
cannot dodge the per-address login throttle by making up addresses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import Firelane

pytestmark = pytest.mark.e2e


def _failed_logins(firelane: Firelane) -> list[int]:
    statuses = []
    for n in range(4):  # each from a made-up address, for a different name
        headers = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
        body = {"name": f"nobody-{n}", "password": "wrong-password"}
        response = httpx.post(f"{firelane.url}/api/v1/auth/login", json=body, headers=headers)
        statuses.append(response.status_code)
    return statuses


@pytest.mark.parametrize(
    ("trusted", "expected"), [("", [401, 401, 401, 429]), ("127.0.0.1", [401] * 4)]
)
def test_forwarded_addresses_only_from_trusted_proxies(
    tmp_path: Path, trusted: str, expected: list[int]
) -> None:
    firelane = Firelane(
        tmp_path,
        FIRELANE_LOGIN_ATTEMPTS_PER_ADDRESS="3",
        FIRELANE_TRUSTED_PROXIES=trusted,
        FIRELANE_SCHEDULER="false",
    )
    firelane.run("db", "upgrade")
    try:
        firelane.serve()
        assert _failed_logins(firelane) == expected
    finally:
        firelane.stop_all()
