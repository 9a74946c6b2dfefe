"""Where outgoing requests may go: public addresses only, unless the operator allows more.

Webhook and rule URLs are chosen by admins, and a delivery's answer is shown back to them:
a URL pointing inside (a cloud's metadata service at 169.254.169.254, a database's admin
port on 127.0.0.1, a private network) would make Firelane a way in. So every connection
the delivery loop opens goes to an address that is checked *after* DNS, on the address
actually connected to, on every attempt (a name cannot smuggle an inside address in, nor
change to one between the check and the connection, nor between retries). Only globally
routable addresses pass: loopback, link-local, private (RFC 1918, unique local IPv6),
shared (100.64/10), reserved and multicast ranges are refused, in any spelling
(``0x7f000001``, ``2130706433``, ``[::ffff:127.0.0.1]``).

``FIRELANE_HOOKS_ALLOW_PRIVATE=true`` lets deliveries reach private and loopback
addresses (receivers on the same host or network, and the tests' local receivers).

URLs are also checked when a webhook or rule is saved, for what can be told without DNS
(a literal address or ``localhost``), so that a mistake shows at once.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that always mean "inside", whatever a resolver says.
_INSIDE_NAMES = ("localhost", "metadata.google.internal", "metadata")


class ForbiddenTarget(Exception):
    """The URL's host is, or resolves to, an address outgoing requests may not reach."""


def _address(host: str) -> IPAddress | None:
    """``host`` as an address if it is one, in any spelling a resolver accepts."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    try:  # 127.1, 0x7f000001, 2130706433, 017700000001: inet_aton's forms
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def public(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable (an IPv4-mapped IPv6 address as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_host(host: str, *, allow_private: bool) -> None:
    """Refuse a host that is an inside address or name (no DNS: for saving a URL)."""
    if allow_private:
        return
    name = host.strip("[]").rstrip(".").lower()
    if name in _INSIDE_NAMES or name.endswith(".localhost"):
        raise ForbiddenTarget(f"{host} is an internal host")
    address = _address(name)
    if address is not None and not public(address):
        raise ForbiddenTarget(f"{address} is not a public address")


def allowed_addresses(
    host: str, infos: Iterable[tuple[Any, ...]], *, allow_private: bool
) -> list[tuple[Any, ...]]:
    """The ``getaddrinfo`` answers for ``host`` that may be connected to; refuse if none."""
    check_host(host, allow_private=allow_private)
    infos = list(infos)
    if allow_private:
        return infos
    kept = [info for info in infos if public(ipaddress.ip_address(info[4][0]))]
    if not kept:
        found = ", ".join(sorted({str(info[4][0]) for info in infos})) or "nothing"
        raise ForbiddenTarget(f"{host} resolves to {found}, not a public address")
    return kept


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects only to an address that passes."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        last: Exception | None = None
        for info in allowed_addresses(host, infos, allow_private=self.allow_private):
            address = str(info[4][0])
            try:
                # TLS still names ``host`` (httpcore passes it as the server name).
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address of {host} answered")


def guarded_transport(*, allow_private: bool, limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes only to an allowed address."""
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(  # the same pool, with the guarded backend
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_GuardedBackend(allow_private=allow_private),
    )
    return transport
