"""The reader's country: a trusted header's, else the address's block's; regions from one table."""

from __future__ import annotations

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from adserver.app import create_app
from adserver.audience import geo
from adserver.events.event import Event
from adserver.infra import keys
from adserver.settings import SettingsError, load_settings
from tests.builders import AI_ARTICLE, BROWSER, GERMAN, ZAHID_CAMPAIGN, example_with


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


# --- GEOIP_DB: a MaxMind-format database instead of iptocc's table ---------------------------------------


def write_mmdb(path, networks: dict[str, dict], ip_version: int = 6) -> str:
    """A small MaxMind database (what GeoLite2-Country holds, for a few networks), built with mmdb-writer."""
    writer = MMDBWriter(
        ip_version=ip_version, database_type="GeoLite2-Country", languages=["en"], ipv4_compatible=ip_version == 6
    )
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return str(path)


@pytest.fixture
def mmdb(tmp_path) -> str:
    return write_mmdb(
        tmp_path / "countries.mmdb",
        {
            "5.9.0.0/16": {"country": {"iso_code": "FR"}},  # iptocc says DE: the database must win
            "81.2.69.0/24": {"registered_country": {"iso_code": "gb"}},  # no located country
            "2a01:4f8::/32": {"country": {"iso_code": "NL"}},
            "198.51.100.0/24": {"country": {"iso_code": "ZZ"}},  # not ISO 3166-1
        },
    )


def test_a_maxmind_database_names_the_country_else_the_registered_one(mmdb):
    lookup = geo.address_lookup(mmdb)
    assert [lookup(a) for a in ("5.9.0.1", "81.2.69.160", "2a01:4f8::1")] == ["FR", "GB", "NL"]
    assert [lookup(a) for a in ("198.51.100.7", "10.0.0.1", "not an address", "")] == [""] * 4
    assert geo.country(None, "5.9.0.1", lookup) == "FR" and geo.country("DE", "5.9.0.1", lookup) == "DE"
    lookup.close()


def test_an_ipv4_only_database_has_no_country_for_an_ipv6_address(tmp_path):
    lookup = geo.address_lookup(write_mmdb(tmp_path / "v4.mmdb", {"5.9.0.0/16": {"country": {"iso_code": "FR"}}}, 4))
    assert (lookup("5.9.0.1"), lookup("2a01:4f8::1")) == ("FR", "")


def test_without_geoip_db_addresses_are_looked_up_in_iptocc():
    lookup = geo.address_lookup("")
    assert isinstance(lookup, geo.RegistryCountries) and lookup("5.9.0.1") == "DE"


def test_geoip_db_must_be_a_maxmind_database(tmp_path):
    base = {"database_url": "sqlite://", "redis_url": "redis://x", "secret_key": "k", "environment": "test"}
    with pytest.raises(SettingsError, match="GEOIP_DB"):
        load_settings({**base, "geoip_db": str(tmp_path / "missing.mmdb")}, env={})
    (tmp_path / "not.mmdb").write_text("not a database")
    with pytest.raises(SettingsError, match="GEOIP_DB"):
        geo.address_lookup(str(tmp_path / "not.mmdb"))


def test_with_geoip_db_the_decision_and_its_events_use_the_database(settings_overrides, mmdb, load_catalog):
    app = create_app({**settings_overrides, "geoip_db": mmdb})
    try:
        load_catalog(example_with(countries=["FR"]))
        client = app.test_client()
        app.extensions["adserver"].catalog.refresh(force=True)
        r = client.post("/v1/decision", json=AI_ARTICLE, headers=BROWSER, environ_base={"REMOTE_ADDR": GERMAN})
        assert r.status_code == 200 and r.get_json()["campaign"]["id"] == ZAHID_CAMPAIGN
        queued = Event.from_json(app.extensions["adserver"].redis.lindex(keys.INCOMING, -1))
        assert (queued.campaign_id, queued.country) == (ZAHID_CAMPAIGN, "FR")
    finally:
        app.extensions["adserver"].close()
