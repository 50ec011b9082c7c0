"""Who is asking: whether a request is a person's (billable), and its address, hashed."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from dataclasses import dataclass

from .bots import is_bot


@dataclass(frozen=True)
class Requester:
    """Who asked, as its events record it: never the address itself."""

    unbilled: str = ""  # why its events are not billed ('' for a person's request: `non_billable_reason`)
    ip_hash: str = ""  # the truncated address, salted and hashed (`ip_hash`)
    device: str = ""  # its user-agent class (`devices.ua_class`): mobile, tablet, desktop, bot, ...
    country: str = ""  # ISO 3166-1 alpha-2, '' when unknown


def is_prefetch(headers) -> bool:
    purpose = (headers.get("Sec-Purpose") or headers.get("Purpose") or headers.get("X-Moz") or "").lower()
    return "prefetch" in purpose or "prerender" in purpose


def non_billable_reason(user_agent: str, headers) -> str:
    """'' for a person's request, else why it is not billed (still counted, apart)."""
    if is_prefetch(headers):
        return "prefetch"
    if not user_agent:
        return "no_user_agent"
    if is_bot(user_agent):
        return "bot"
    return ""


def ip_hash(ip: str, salt: str) -> str:
    """Salted hash of the truncated address (/24 for IPv4, /48 for IPv6): never the raw IP."""
    try:
        # IPv4 (nearly every request): a strict parse by the C library, then drop the last octet.
        socket.inet_pton(socket.AF_INET, ip)
        truncated = ip.rsplit(".", 1)[0] + ".0"
    except OSError:
        try:
            net = ipaddress.ip_network(f"{ip}/48", strict=False) if ":" in ip else None
            truncated = str(net.network_address) if net else "invalid"
        except ValueError:
            truncated = "invalid"
    return hashlib.sha256(f"{salt}:{truncated}".encode()).hexdigest()[:32]
