"""Where a webhook may go: the URL's checks and the SSRF guard.

An endpoint's URL is https (http only when ``webhooks_allow_http``), without credentials or
fragment. Its host is checked when it is registered (an address literal or ``localhost``) and
again at every delivery: the name is resolved once, by the injectable :class:`Resolver`, every
address it gives must be public (not private, loopback, link-local, multicast, reserved,
unspecified, CGNAT, nor any of those inside an IPv4-mapped, NAT64 or 6to4 IPv6 address) unless
``webhooks_allow_private``, and the connection goes to the checked address itself: no second
lookup, so a name that resolves elsewhere a moment later (DNS rebinding) reaches nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol
from urllib.parse import urlsplit

from confman.lib.errors import FieldError

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


class Resolver(Protocol):
    """A host name (or literal) → its addresses, as text, in the order to try them."""

    async def __call__(self, host: str, port: int) -> list[str]: ...


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _6TO4:
        return address.sixtofour
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is no place for a webhook (None: it is public)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return refusal(inner)
    checks = (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "shared (CGNAT)"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not public"),
    )
    return next((reason for failed, reason in checks if failed), None)


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """``url`` as it will be stored, or a FieldError on ``url`` saying what is wrong."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise FieldError("url", "invalid_url", f"a URL of 1 to {MAX_URL_LENGTH} characters is required")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FieldError("url", "invalid_url", f"not a valid URL: {error}") from error
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise FieldError("url", "scheme_not_allowed", "the URL must start with " + " or ".join(schemes) + "://")
    host = (parts.hostname or "").rstrip(".")
    if not host or any(character.isspace() for character in url):
        raise FieldError("url", "invalid_url", "the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FieldError("url", "credentials_in_url", "the URL must not carry a user name or password")
    if parts.fragment:
        raise FieldError("url", "invalid_url", "the URL must not have a fragment (#…)")
    if port == 0:
        raise FieldError("url", "invalid_url", "port 0 is not a port")
    if not allow_private:
        address = parse_address(host)
        if address is not None and (reason := refusal(address)) is not None:
            raise FieldError("url", "address_not_allowed", f"{address} is a {reason} address")
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise FieldError("url", "address_not_allowed", "localhost is a loopback address")
    return url


class AddressRefused(Exception):
    """The host resolves to an address a webhook may not reach (or to none)."""


async def checked_address(host: str, port: int, resolver: Resolver, *, allow_private: bool) -> str:
    """The one address to connect to for ``host``: resolved once, every address checked."""
    literal = parse_address(host)
    addresses = [str(literal)] if literal is not None else await resolver(host, port)
    if not addresses:
        raise AddressRefused(f"{host} resolves to no address")
    parsed: list[IPAddress] = []
    for text in addresses:
        address = parse_address(text)
        if address is None:
            raise AddressRefused(f"{host} resolved to {text!r}, not an address")
        if not allow_private and (reason := refusal(address)) is not None:
            raise AddressRefused(f"{host} resolves to {address}, a {reason} address")
        parsed.append(address)
    return str(parsed[0])
