"""Outgoing requests reach public addresses only (unless FIRELANE_HOOKS_ALLOW_PRIVATE).

Checked when a URL is saved (literal addresses and inside names) and, whatever the URL
says, on the address each connection actually goes to, after DNS, on every attempt:
real receivers on 127.0.0.1 stand in for a service inside.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import Database
from app.hooks.config import get_hooks_settings
from app.hooks.loop import DeliveryLoop
from app.hooks.targets import ForbiddenTarget, allowed_addresses, check_host, public
from tests.hooks.conftest import hooks_settings, make_rule, new_card, subscribe
from tests.hooks.receiver import Receiver
from tests.support import need

INSIDE = [
    "169.254.169.254",
    "metadata.google.internal",
    "localhost",
    "api.localhost",
    "127.0.0.1",
    "127.1",
    "0x7f000001",
    "2130706433",
    "017700000001",
    "0.0.0.0",  # noqa: S104 - a host to refuse, not one to bind
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[fd00:ec2::254]",
    "10.0.0.8",
    "172.16.3.4",
    "192.168.1.1",
    "100.100.100.200",
    "224.0.0.1",
]


@pytest.mark.parametrize("host", INSIDE)
def test_inside_hosts_are_refused_in_any_spelling(host: str) -> None:
    with pytest.raises(ForbiddenTarget):
        check_host(host, allow_private=False)
    check_host(host, allow_private=True)


def test_public_hosts_pass() -> None:
    for host in ("hooks.example.com", "93.184.216.34", "[2606:4700::1111]"):
        check_host(host, allow_private=False)


def _info(address: str) -> tuple[Any, ...]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return (family, socket.SOCK_STREAM, 6, "", (address, 443))


def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    kept = allowed_addresses(
        "a.example", [_info("10.1.1.1"), _info("93.184.216.34")], allow_private=False
    )
    assert [info[4][0] for info in kept] == ["93.184.216.34"]
    with pytest.raises(ForbiddenTarget, match=r"169\.254\.169\.254"):
        allowed_addresses("b.example", [_info("169.254.169.254")], allow_private=False)
    assert len(allowed_addresses("b.example", [_info("127.0.0.1")], allow_private=True)) == 1


@pytest.fixture
def private_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """FIRELANE_HOOKS_ALLOW_PRIVATE off, as in production (the tests turn it on)."""
    monkeypatch.setenv("FIRELANE_HOOKS_ALLOW_PRIVATE", "false")
    get_hooks_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_hooks_settings.cache_clear()


@pytest.mark.usefixtures("private_refused")
def test_inside_urls_are_refused_when_saved(admin: TestClient) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001:8080/",
        "http://[::1]/",
    ):
        response = admin.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
        assert response.status_code == 422, response.text
        assert (
            "public address" in response.json()["detail"] or "internal" in response.json()["detail"]
        )
    action = {"type": "web_request", "url": "http://metadata.google.internal/computeMetadata/v1/"}
    rule = {"name": "r", "trigger": "card.created", "actions": [action]}
    assert admin.post("/api/v1/rules", json=rule).status_code == 422
    assert admin.get("/api/v1/webhooks").json()["items"] == []


def test_rule_urls_are_checked_when_saved(admin: TestClient) -> None:
    for url in ("file:///etc/passwd", "gopher://x.example/", "not a url", "http://[::1/"):
        action = {"type": "web_request", "url": url}
        response = admin.post(
            "/api/v1/rules", json={"name": "r", "trigger": "card.created", "actions": [action]}
        )
        assert response.status_code == 422, (url, response.text)
    assert admin.get("/api/v1/rules").json()["items"] == []


def _sent_nothing(admin: TestClient, receiver: Receiver) -> dict[str, Any]:
    (delivery,) = admin.get("/api/v1/deliveries").json()["items"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 1, delivery
    assert delivery["last_error"].startswith("forbidden target"), delivery
    (attempt,) = admin.get(f"/api/v1/deliveries/{delivery['id']}/attempts").json()["items"]
    assert attempt["response_excerpt"] == ""
    assert receiver.requests == []
    return dict(delivery)


def test_a_connection_inside_is_refused_at_send_time(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    settings: Settings,
    receiver: Receiver,
) -> None:
    # Saved while private targets were allowed; the operator has since turned that off.
    subscribe(admin, receiver.url, ["card.created"])
    new_card(admin, board, "Disk full")
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(allow_private=False))
    try:
        assert loop.run_once() == 1
    finally:
        loop.close()
    _sent_nothing(admin, receiver)


def test_a_name_resolving_inside_is_refused_after_dns(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    settings: Settings,
    receiver: Receiver,
) -> None:
    name = socket.gethostname()  # not an inside name, but it resolves to this host
    addresses = {info[4][0] for info in socket.getaddrinfo(name, receiver.port)}
    inside = not any(public(ipaddress.ip_address(a)) for a in addresses)
    need(inside, "a host name that resolves to this host")
    check_host(name, allow_private=False)  # nothing in the name itself gives it away
    make_rule(
        admin,
        trigger="card.created",
        actions=[{"type": "web_request", "url": f"http://{name}:{receiver.port}/hook"}],
    )
    new_card(admin, board, "Disk full")
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(allow_private=False))
    try:
        assert loop.run_once() == 1
    finally:
        loop.close()
    _sent_nothing(admin, receiver)


def test_allowed_private_targets_are_reached(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    new_card(admin, board, "Disk full")
    assert loop.run_once() == 1
    assert len(receiver.requests) == 1
