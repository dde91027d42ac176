"""Outbound URL rules and the SSRF guard (docs/api.md, "Webhook URLs").

Used when a webhook URL is registered and again before every delivery attempt; the delivery then
connects to an address checked here, so a DNS answer cannot change between check and connect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = frozenset({"localhost"})
# NAT64 well-known prefix: the embedded IPv4 address decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The local-use NAT64 prefix (RFC 8215) translates into whatever network the operator chose,
# private ones included. IANA marks it not globally reachable, but ipaddress before Python
# 3.12.4 calls it global, so it is refused here explicitly.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# IPv4-compatible (::a.b.c.d, deprecated by RFC 4291) and IPv4-translated (::ffff:0:a.b.c.d,
# SIIT of the obsolete RFC 2765) addresses: no public host has one, yet some stacks still carry
# them to the embedded IPv4 address (::127.0.0.1 as loopback). ipaddress calls most of them
# global, so they are refused whatever they embed.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NEVER_PUBLIC = (_LOCAL_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# The setting that lifts the private-address rule, named in the refusals it would allow.
ALLOW_PRIVATE = "SHOPREVIEWS_WEBHOOK_ALLOW_PRIVATE_TARGETS"


class UrlRejected(ValueError):
    """The URL breaks a rule; the message names the rule, and the setting that would allow it
    when there is one."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written (lower-cased), without brackets
    port: int
    addresses: tuple[str, ...]  # checked addresses to connect to


def _embedded_v4(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def is_public(address: Address) -> bool:
    """A global unicast address, also the IPv4 address it embeds (IPv4-mapped, NAT64, 6to4)."""
    if isinstance(address, ipaddress.IPv6Address) and any(
        address in network for network in _NEVER_PUBLIC
    ):
        return False
    inner = _embedded_v4(address)
    return all(a.is_global and not a.is_multicast for a in {address, inner})


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_static(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Rules 1-2 (shape and scheme); returns (scheme, host, port)."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected(f"url must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRejected("url is not a valid absolute URL") from exc
    host = (parts.hostname or "").lower()
    if not parts.scheme or not host:
        raise UrlRejected("url must be an absolute URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRejected("url must not contain user information")
    if port == 0:  # urlsplit takes 0 to 65535; 0 is no port to connect to
        raise UrlRejected("url port must be 1 to 65535")
    if parts.fragment or url.endswith("#"):
        raise UrlRejected("url must not contain a fragment")
    if any(c.isspace() for c in url):
        raise UrlRejected("url must not contain whitespace")
    scheme = parts.scheme.lower()
    if scheme == "http" and not (allow_private and is_loopback_host(host)):
        if is_loopback_host(host):
            raise UrlRejected(
                f"url must use https; set {ALLOW_PRIVATE}=true to allow http to loopback hosts"
            )
        raise UrlRejected("url must use https (http is allowed only for loopback hosts)")
    if scheme not in ("http", "https"):
        raise UrlRejected("url must use https")
    return scheme, host, port or (443 if scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRejected(f"url host {host} does not resolve") from exc
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if address not in seen:
            seen.append(address)
    if not seen:
        raise UrlRejected(f"url host {host} does not resolve")
    return seen


async def check_url(url: str, *, allow_private: bool) -> Target:
    """Every rule; the returned addresses are the ones a delivery may connect to."""
    scheme, host, port = check_static(url, allow_private=allow_private)
    addresses = await resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address)):
                raise UrlRejected(
                    f"url host {host} resolves to {address}, which is not a public address; "
                    f"set {ALLOW_PRIVATE}=true to allow private targets"
                )
    return Target(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))
