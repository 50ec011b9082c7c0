"""The reader's country, for `targeting.countries`, `exclude_countries` and `regions`.

From a CDN's header when `COUNTRY_HEADER` names one (the CDN sets it and must overwrite any value a client
sends), else from the address: in a MaxMind-format database when `GEOIP_DB` names one (GeoLite2 or GeoIP2
Country or City, read with `maxminddb`), else in `iptocc`'s offline table of the address blocks the Regional
Internet Registries assign (embedded in its wheel, no network, in memory). The address is never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import iptocc
import maxminddb
from iso3166 import countries_by_alpha2

from ..settings import SettingsError

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


class Countries(Protocol):
    """An address -> its country ('' unknown), opened with the process and closed with it."""

    def __call__(self, address: str) -> str: ...

    def close(self) -> None: ...


class RegistryCountries:
    """`iptocc`'s table (in its wheel): nothing to open or close."""

    def __call__(self, address: str) -> str:
        return from_address(address)

    def close(self) -> None:
        pass


class MaxMindCountries:
    """An address's country in a MaxMind-format database (`GEOIP_DB`), opened once and memory-mapped: its
    record's `country`, else its `registered_country` (an address without a located country)."""

    def __init__(self, path: str):
        try:
            self._reader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as e:  # missing, unreadable, not a MaxMind DB
            raise SettingsError(f"setting GEOIP_DB={path!r}: not a readable MaxMind database ({e})") from None

    def __call__(self, address: str) -> str:
        """The country's ISO 3166-1 code; '' for an address the database does not locate or cannot parse."""
        try:
            record = self._reader.get(address) if address else None
        except ValueError:  # not an IP address
            return ""
        if not isinstance(record, dict):
            return ""
        for key in ("country", "registered_country"):
            code = str((record.get(key) or {}).get("iso_code") or "").upper()
            if code:
                return code if code in COUNTRIES else ""
        return ""

    def close(self) -> None:
        self._reader.close()


def address_lookup(geoip_db: str) -> Countries:
    """The address -> country lookup the settings choose: the `GEOIP_DB` database, else `iptocc`'s table."""
    return MaxMindCountries(geoip_db) if geoip_db else RegistryCountries()


def country(header: str | None, address: str, lookup: Callable[[str], str] = from_address) -> str:
    """The reader's country: the configured header when the request carries one, else the address's."""
    if header is not None:
        return from_header(header)
    return lookup(address)
