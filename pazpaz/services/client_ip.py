"""The client's address behind trusted reverse proxies (docs/ARCHITECTURE.md "Reverse proxy").

Only proxies named in PAZPAZ_TRUSTED_PROXIES may speak for the client: each appends the
address it saw to X-Forwarded-For, so the list is read from the right and the first address
that is not one of ours is the client. Anything further left was written by the client
itself and proves nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDRs; raises ValueError naming the bad entry."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    """The socket peer, unless it is a trusted proxy: then the right-most untrusted X-Forwarded-For entry."""
    peer_address = _address(peer or "")
    if peer_address is None or not _trusted(peer_address, trusted):
        return peer or None
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage our own proxy would never write: stop believing the list here.
            return str(peer_address)
        if not _trusted(address, trusted):
            return str(address)
    # Every hop is ours (or there is none): the request started inside the trusted network.
    return str(_address(hops[0]) if hops else peer_address)
