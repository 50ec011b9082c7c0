"""Advertisers' URLs (landing pages, images) as the catalog accepts them: public web addresses only.

A landing URL is a redirect target we sign for, so it must be what it looks like: no `user@` part
(`https://trusted.com@evil.com/` goes to evil.com), no bidirectional control characters (which reorder how
it reads), no loopback, private or otherwise non-public address (the reader's own network), and an
internationalised host stored as punycode, so reports, the CLI and the redirect show the host it really is.
Names are not resolved at import: a public name that points at a private address is not caught here.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from marshmallow import ValidationError, fields

# LRM, RLM, ALM, the embeddings and overrides (LRE..RLO), the isolates (LRI..PDI).
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def public_web_url(value: str) -> str:
    """`value` with its host in punycode; ValidationError naming what is wrong."""
    if any(c in BIDI_CONTROLS for c in value):
        raise ValidationError("Must not contain bidirectional control characters.")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Must not contain a user name or password (`user@host`).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValidationError("Must have a host.")
    address = _address(host)
    if address is not None:
        if not address.is_global or address.is_multicast:
            raise ValidationError("Must be a public address, not a loopback, private or reserved one.")
        return value
    if host == "localhost" or host.endswith(LOCAL_NAMES):
        raise ValidationError("Must be a public host name, not a local one.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError("Must have a valid host name.") from None
    if ascii_host == host:
        return value
    netloc = ascii_host if parts.port is None else f"{ascii_host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a browser would read `host` as (also 2130706433, 0x7f.1, 127.1), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if all(c in "0123456789abcdefx." for c in host.lower()) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class WebUrl(fields.Url):
    """An http(s) URL that `public_web_url` accepts, loaded with its host in punycode."""

    def __init__(self, **kwargs):
        super().__init__(schemes={"http", "https"}, require_tld=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return public_web_url(super()._deserialize(value, attr, data, **kwargs))
