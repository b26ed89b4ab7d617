"""Where a webhook may be sent: never into the API's own network (server-side request forgery).

A callback is an https URL on port 443 whose host resolves to public addresses only. Refused, besides the
private, loopback, link-local, shared, reserved and multicast ranges: every IPv6 range that reaches IPv4
by translation or tunnel (NAT64, 6to4, Teredo, IPv4-compatible and IPv4-mapped addresses) and the old
site-local range, since through them a "public" address can still land on an internal one. The name is
resolved once, at the moment of sending; the address that was checked is the one connected to (the name
still goes in `Host` and in TLS's server name, so the certificate is checked against it), so a name that
resolves elsewhere a moment later (DNS rebinding) cannot slip through. Hosts on
`WR_WEBHOOK_ALLOWED_HOSTS` (`host`, any port, or `host:port`) are exempt, for tests and labs.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from wijkregistratie.core.settings import Settings

HTTPS_PORT = 443
_TRANSLATED = [
    ipaddress.ip_network(n)
    for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96", "::ffff:0:0/96", "fec0::/10")
]


class CallbackRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """The request to make: to the checked address, naming the host it was given as."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    return not (address.version == 6 and any(address in network for network in _TRANSLATED))


def _allowed(host: str, port: int | None, settings: Settings) -> bool:
    allowed = {h.lower() for h in settings.webhook_allowed_hosts}
    return host in allowed or f"{host}:{port}" in allowed


def check_shape(url: str, settings: Settings) -> tuple[str, int, bool]:
    """The host and port of a callback, and whether the allow-list exempts it; CallbackRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackRefused("a callback is an absolute https URL") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise CallbackRefused("a callback is an absolute https URL without credentials")
    if _allowed(host, port, settings):
        return host, port or (HTTPS_PORT if parts.scheme == "https" else 80), True
    if parts.scheme != "https":
        raise CallbackRefused("a callback is an absolute https URL")
    if port not in (None, HTTPS_PORT):
        raise CallbackRefused("a callback is on port 443")
    return host, HTTPS_PORT, False


async def resolve(url: str, settings: Settings) -> Target:
    """The target to send to, resolved and checked now; CallbackRefused with the reason otherwise."""
    host, port, exempt = check_shape(url, settings)
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise CallbackRefused("the callback's host does not resolve") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise CallbackRefused("the callback's host does not resolve")
    if not exempt and not all(is_public(a) for a in addresses):
        raise CallbackRefused("the callback resolves to a private, internal or translated address")
    if literal is not None:
        return Target(url)
    pinned = addresses[0]
    netloc = f"[{pinned}]:{port}" if pinned.version == 6 else f"{pinned}:{port}"
    parts = urlsplit(url)
    host_header = host if port == (HTTPS_PORT if parts.scheme == "https" else 80) else f"{host}:{port}"
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        headers={"host": host_header},
        extensions={"sni_hostname": host} if parts.scheme == "https" else {},
    )
