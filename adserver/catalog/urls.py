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
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import idna
from marshmallow import ValidationError, fields

# LRM, RLM, ALM, the embeddings and overrides (LRE..RLO), the isolates (LRI..PDI).
BIDI_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")
_PORT = r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
# The bidi controls as a regular expression's class members, escaped (`\u202e`): JavaScript and Python read both.
NO_BIDI = "".join(f"\\u{ord(c):04x}" for c in sorted(BIDI_CONTROLS))
# What the OpenAPI document promises: an http(s) URL on a dotted ASCII name with a letter TLD, an optional
# port, no spaces or bidi controls. Narrower than `public_web_url` (which also takes IDN and public addresses);
# all it matches passes that, but a name under LOCAL_NAMES.
PATTERN = (
    r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    + _PORT
    + r"(?:/|[/?#][^\s\x1c-\x1f\x85"  # the spaces of Python's \s that JavaScript's lacks
    + NO_BIDI
    + r"]+)?$"
)


def public_web_url(value: str) -> str:
    """`value` with its host as a browser will ask for it (lower case, punycode); ValidationError naming what is
    wrong. Every check runs on that final host: a browser folds `①②⑦.0.0.1` to 127.0.0.1 and `ｌｏｃａｌｈｏｓｔ`
    to localhost (UTS #46, as the WHATWG URL standard has it), so checking the host as typed is not enough."""
    if any(c in BIDI_CONTROLS for c in value):
        raise ValidationError("Must not contain bidirectional control characters.")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Must not contain a user name or password (`user@host`).")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise ValidationError("Must have a port from 1 to 65535, or none.")
    typed = (parts.hostname or "").rstrip(".")
    if not typed:
        raise ValidationError("Must have a host.")
    if any(ord(c) > 127 and unicodedata.normalize("NFKC", c).isascii() for c in typed):
        raise ValidationError("Must not contain characters that stand for ASCII letters or digits (`①`, `ｌ`).")
    host = _browser_host(typed)
    address = _address(host)
    if address is not None:
        if not address.is_global or address.is_multicast:
            raise ValidationError("Must be a public address, not a loopback, private or reserved one.")
    elif host == "localhost" or host.endswith(LOCAL_NAMES):
        raise ValidationError("Must be a public host name, not a local one.")
    if host == typed:
        return value
    netloc = (f"[{host}]" if ":" in host else host) if port is None else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _browser_host(typed: str) -> str:
    """The host a browser asks for: in ASCII as typed (`hostname` is lower case), else mapped by UTS #46 and in
    punycode."""
    if typed.isascii():
        return typed
    try:
        return idna.encode(typed, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        raise ValidationError("Must have a valid host name.") from None


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

    OPENAPI = {"pattern": PATTERN}

    def __init__(self, **kwargs):
        super().__init__(schemes={"http", "https"}, require_tld=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return public_web_url(super()._deserialize(value, attr, data, **kwargs))
