"""The reader's country: a trusted header's, else the address's block's; regions from one table."""

from __future__ import annotations

import pytest

from adserver import geo
from adserver.settings import SettingsError, load_settings


def test_every_region_is_made_of_iso_countries_and_the_eea_holds_the_eu():
    assert all(r <= geo.COUNTRIES for r in geo.REGIONS.values())
    assert len(geo.REGIONS["EU"]) == 27 and geo.REGIONS["EU"] < geo.REGIONS["EEA"]
    assert geo.countries_of(frozenset({"DACH", "UK"})) == {"DE", "AT", "CH", "GB"}


@pytest.mark.parametrize("value,country", [("DE", "DE"), (" fr ", "FR"), ("XX", ""), ("T1", ""), ("", ""), ("QQ", "")])
def test_a_header_names_an_iso_country_or_none(value, country):
    assert geo.from_header(value) == country


def test_public_addresses_have_their_blocks_country_and_private_ones_none():
    assert geo.from_address("5.9.0.1") == "DE" and geo.from_address("2a01:4f8::1") == "DE"
    assert [geo.from_address(a) for a in ("127.0.0.1", "10.0.0.1", "fd00::1", "not an address", "")] == [""] * 5


def test_a_configured_header_wins_even_when_it_names_no_country():
    assert geo.country("GB", "5.9.0.1") == "GB"
    assert geo.country("XX", "5.9.0.1") == ""
    assert geo.country(None, "5.9.0.1") == "DE"


def test_country_header_must_be_a_header_name():
    base = {"database_url": "sqlite://", "redis_url": "redis://x", "secret_key": "k", "environment": "test"}
    assert load_settings({**base, "country_header": "CF-IPCountry"}, env={}).country_header == "CF-IPCountry"
    with pytest.raises(SettingsError, match="COUNTRY_HEADER"):
        load_settings({**base, "country_header": "CF IPCountry: x"}, env={})
