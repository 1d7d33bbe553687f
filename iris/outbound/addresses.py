"""Where a webhook may point: the SSRF guard.

`check_target(url, allow_hosts)` says whether iris may call a URL and returns the addresses it checked, so that the
client connects to exactly those and never asks DNS again (a name that resolved to a public address when checked
and to 127.0.0.1 a millisecond later, "DNS rebinding", would otherwise walk straight past the check).

Why our own code: `advocate`, the usual SSRF guard for Python, is unmaintained (last release 2020, built on
`requests`, no `httpx` support), and the rules fit in one small module we can read and test. They follow
`ipaddress`'s IANA tables (`is_global`) plus the extra rules below, each with the reason it exists.

A host named in `allow_hosts` (IRIS_WEBHOOK_ALLOW_HOSTS, exactly as written in the URL) may resolve anywhere: that
is how an operator lets webhooks reach a service on the same machine or network on purpose.
"""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable, Optional, Sequence
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
RESOLVE_TIMEOUT_S = 5.0
DEFAULT_PORTS = {"http": 80, "https": 443}

# Ranges `is_global` lets through (or that it only refuses in some 3.11 patch releases) but that no webhook
# receiver lives in. Listed explicitly so the rules do not depend on which Python 3.11.x runs iris.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
        "100.64.0.0/10",  # carrier-grade NAT: the provider's private side
        "192.0.0.0/24",  # IETF protocol assignments (some are global in the table; none are webhook receivers)
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast: Python 3.11's is_global wrongly passes 224.0.0.1
        "240.0.0.0/4",  # reserved, and 255.255.255.255 (broadcast)
        "fec0::/10",  # deprecated site-local: is_global passes it, yet it is a private range
        "ff00::/8",  # IPv6 multicast: is_global passes ff02::1
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates to addresses inside the network
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are the v4 destination


class TargetRefused(Exception):
    """A URL iris will not call. `str(exc)` is a short reason for a person, e.g. "resolves to a private address"."""


class TargetUnresolved(TargetRefused):
    """The host name did not resolve (or not in time). Unlike other refusals this may pass later: DNS recovers."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, ASCII (IDNA), IPv6 without brackets
    port: int
    addresses: tuple[str, ...]  # the checked IPs to connect to, in resolver order


_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="iris-resolve")


def resolve_host(host: str, port: int) -> Sequence[str]:
    """The addresses `host` resolves to, by getaddrinfo, given at most RESOLVE_TIMEOUT_S (getaddrinfo has no
    timeout of its own). Raises TargetUnresolved."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except FutureTimeout:
        raise TargetUnresolved(f"{host} does not resolve (no answer in {RESOLVE_TIMEOUT_S:g} s)") from None
    except (OSError, UnicodeError):
        raise TargetUnresolved(f"{host} does not resolve") from None
    return [info[4][0] for info in infos]


def is_public(address: str) -> bool:
    """Whether a webhook may connect to this IP address: only addresses reachable on the public internet."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # not an address at all (or one with an IPv6 zone, "fe80::1%eth0": link-local anyway)
        return False
    if ip.version == 6:
        if ip.teredo is not None:
            # Teredo (2001::/32) tunnels to an IPv4 client address hidden (inverted) in the low bits; nothing
            # legitimate is served over it any more, so refuse it outright rather than decode it.
            return False
        embedded = _embedded_v4(ip)
        if embedded is not None:
            # ::ffff:127.0.0.1 (IPv4-mapped), 2002:7f00:1::1 (6to4) and 64:ff9b::a00:1 (NAT64) all end up at the
            # IPv4 address inside them: judge that one.
            return is_public(str(embedded))
    if any(ip in network for network in _NOT_PUBLIC if network.version == ip.version):
        return False
    return ip.is_global and not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved)


def _kind(address: str) -> str:
    """What kind of non-public address this is, in words, for the refusal's message."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "an invalid"
    ip = (_embedded_v4(ip) or ip) if ip.version == 6 else ip
    for kind, yes in (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a private", ip.is_private and not ip.is_reserved),
    ):
        if yes:
            return kind
    return "a non-public"


def _embedded_v4(ip: ipaddress.IPv6Address) -> Optional[ipaddress.IPv4Address]:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_target(
    url: str, allow_hosts: Sequence[str], resolve: Callable[[str, int], Sequence[str]] = resolve_host
) -> Target:
    """The checked target of `url`, or TargetRefused with the reason.

    Every address the host resolves to must be public, unless the host is named in `allow_hosts`."""
    scheme, host, port = _parse(url)
    literal = _ip_literal(host)
    try:
        addresses = (literal,) if literal else tuple(dict.fromkeys(resolve(host, port)))
    except OSError:  # an injected resolver's own failure
        raise TargetUnresolved(f"{host} does not resolve") from None
    if not addresses:
        raise TargetUnresolved(f"{host} does not resolve")
    if host not in {h.strip().lower().strip("[]") for h in allow_hosts}:
        for address in addresses:
            if not is_public(address):
                if literal:
                    raise TargetRefused(f"{host} is {_kind(address)} address")
                raise TargetRefused(f"{host} resolves to {_kind(address)} address ({address})")
    return Target(scheme=scheme, host=host, port=port, addresses=addresses)


def _parse(url: str) -> tuple[str, str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or c in "\\\x7f" for c in url):
        # Parsers disagree on these ("http://a.example\@127.0.0.1/"): refuse rather than guess which host is meant.
        raise TargetRefused("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[not-v6]/": brackets around something that is no IPv6 address
        raise TargetRefused("the URL is not valid: a host in [brackets] must be an IPv6 address") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise TargetRefused("only http and https URLs may be called")
    if "@" in parts.netloc:
        raise TargetRefused("the URL may not carry a user name or password")
    try:
        port = DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise TargetRefused("the URL's port is not a number from 1 to 65535")
    return scheme, _host(parts.hostname, parts.netloc), port


def _host(hostname: Optional[str], netloc: str) -> str:
    if not hostname:
        raise TargetRefused("the URL has no host")
    if netloc.startswith("["):
        if _ip_literal(hostname) is None or ":" not in hostname:
            raise TargetRefused("the URL's [address] is not an IPv6 address")
        return hostname
    try:
        return hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise TargetRefused("the URL's host is not a valid name") from None


def _ip_literal(host: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None
