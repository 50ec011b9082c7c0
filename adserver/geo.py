"""The reader's country, for `targeting.countries`, `exclude_countries` and `regions`.

From a CDN's header when `COUNTRY_HEADER` names one (the CDN sets it and must overwrite any value a client
sends), else from `iptocc`'s offline table of the address blocks the Regional Internet Registries assign
(embedded in its wheel, no network, in memory). The address is never stored.
"""

from __future__ import annotations

import iptocc
from iso3166 import countries_by_alpha2

COUNTRIES = frozenset(countries_by_alpha2)  # ISO 3166-1 alpha-2

EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)  # the 27 member states (Greece is GR here, not the EU's own EL)
# The regions a campaign may name, each a set of countries: the one table of them.
REGIONS: dict[str, frozenset[str]] = {
    "EU": EU,
    "EEA": EU | {"IS", "LI", "NO"},
    "DACH": frozenset({"DE", "AT", "CH"}),
    "BENELUX": frozenset({"BE", "NL", "LU"}),
    "NORDICS": frozenset({"DK", "FI", "IS", "NO", "SE"}),
    "UK": frozenset({"GB"}),
    "NORTH-AMERICA": frozenset({"US", "CA"}),
    "ANZ": frozenset({"AU", "NZ"}),
}
# What CDNs send for "no country": unknown (XX, ZZ), Tor (T1), Cloudflare's anonymous proxies (A1, A2).
NOT_A_COUNTRY = frozenset({"XX", "ZZ", "T1", "A1", "A2", "O1", "AP", "EU"})


def countries_of(regions: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(REGIONS[r] for r in regions))


def from_header(value: str) -> str:
    """The country a trusted header names, '' when it names none (missing, unknown, Tor, not ISO 3166-1)."""
    code = value.strip().upper()
    return code if code in COUNTRIES and code not in NOT_A_COUNTRY else ""


def from_address(address: str) -> str:
    """The country an address's block is assigned to; '' for private, reserved or unparsable addresses."""
    return (iptocc.country_code(address) or "") if address else ""


def country(header: str | None, address: str) -> str:
    """The reader's country: the configured header when the request carries one, else the address's."""
    if header is not None:
        return from_header(header)
    return from_address(address)
