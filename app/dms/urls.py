"""The outbound URL allow-list: the service calls dealer systems, never its own network.

A URL is allowed when it is https and every address its host resolves to is public, or when
every address lies in a network of ``dms_outbound_allow_networks`` (then http is allowed too).
The check runs when the URL is configured and again before every call, since DNS can change.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.errors import BadRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UrlNotAllowed(BadRequest):
    pass


def _networks(allowed: list[str]) -> list[Network]:
    return [ipaddress.ip_network(n, strict=False) for n in allowed]


def check_outbound_url(url: str, *, allowed_networks: list[str], field: str = "url") -> None:
    """Raise ``UrlNotAllowed`` (naming ``field``) unless ``url`` may be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlNotAllowed(f"{field}: must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise UrlNotAllowed(f"{field}: credentials in the URL are not allowed")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlNotAllowed(f"{field}: host {parts.hostname!r} does not resolve") from exc
    networks = _networks(allowed_networks)
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    in_allowed = all(any(a in n for n in networks) for a in addresses)
    if in_allowed:
        return
    private = sorted(str(a) for a in addresses if not a.is_global)
    if private:
        raise UrlNotAllowed(
            f"{field}: {parts.hostname} resolves to a private, loopback or reserved address "
            f"({', '.join(private)}); add its network to RETENTION_DMS_OUTBOUND_ALLOW_NETWORKS "
            "if it really is a dealer system"
        )
    if parts.scheme != "https":
        raise UrlNotAllowed(f"{field}: must use https")
