"""Sites in the catalog: the file's `sites`, domain checks, SQL, the snapshot and `adserver sites ...`."""

from __future__ import annotations

import pytest

from adserver.catalog import sites
from adserver.catalog.files import export_catalog, import_catalog, read_file, validate_catalog
from adserver.catalog.store import load_snapshot
from adserver.errors import CatalogError
from tests.conftest import EXAMPLE_CATALOG

NORTH = {
    "id": "regional-north",
    "name": "Regional North",
    "domains": ["north.example", "*.north.example"],
    "blocked_advertisers": ["ledgerly"],
    "revenue_share": 0.6,
}


def catalog_with(*site_list, targeting=None) -> dict:
    data = read_file(EXAMPLE_CATALOG)
    data["sites"] = list(site_list)
    if targeting is not None:
        data["advertisers"][0]["campaigns"][0]["targeting"].update(targeting)
    return data


def bad_domain(value: str) -> dict:
    with pytest.raises(CatalogError) as e:
        validate_catalog({"advertisers": [], "sites": [{"id": "s", "name": "S", "domains": [value]}]})
    return e.value.fields


@pytest.mark.parametrize(
    "value",
    ["127.0.0.1", "localhost", "10.1.2.3", "8.8.8.8", "intranet.local", "news.example:8080", "https://news.example",
     "*.com", "ｎews.example", "news.example/path", "*.*.news.example"],
)  # fmt: skip
def test_a_domain_that_is_no_public_host_name_is_refused_at_its_field(value):
    assert list(bad_domain(value)) == ["sites.0.domains.0"]


def test_domains_are_stored_lower_case_in_punycode():
    data = validate_catalog({"advertisers": [], "sites": [{"id": "s", "name": "S", "domains": ["Bücher.Example"]}]})
    assert data["sites"][0]["domains"] == ["xn--bcher-kva.example"]


def test_loopback_hosts_are_site_domains_only_where_local_domains_are_allowed():
    with sites.local_domains(True):
        data = validate_catalog({"advertisers": [], "sites": [{"id": "d", "name": "D", "domains": ["127.0.0.1"]}]})
    assert data["sites"][0]["domains"] == ["127.0.0.1"]
    with sites.local_domains(True):
        assert list(bad_domain("10.1.2.3")) == ["sites.0.domains.0"]  # only loopback, for the demo


def test_revenue_share_and_the_reserved_id_are_checked():
    with pytest.raises(CatalogError) as e:
        validate_catalog(
            {"advertisers": [], "sites": [{"id": "unknown", "name": "U", "domains": ["u.example"], "revenue_share": 2}]}
        )
    assert set(e.value.fields) == {"sites.0.id", "sites.0.revenue_share"}


def test_sites_round_trip_through_sql_and_the_snapshot_holds_the_active_ones(db):
    archived = {"id": "old", "name": "Old", "domains": ["old.example"], "status": "archived"}
    import_catalog(db, catalog_with(NORTH, archived))
    exported = export_catalog(db)
    assert [x["id"] for x in exported["sites"]] == ["old", "regional-north"]
    assert import_catalog(db, exported)["created"] == 0  # the export imports as itself
    snap = load_snapshot(db)
    assert set(snap.sites) == {"regional-north"}
    north = snap.sites["regional-north"]
    assert north.serves("north.example") and north.serves("www.north.example") and north.serves("a.b.north.example")
    assert not north.serves("evilnorth.example") and not north.serves("north.example.evil") and not north.serves("")


def test_a_catalog_without_sites_keeps_the_implicit_default_and_its_sites(db):
    import_catalog(db, catalog_with(NORTH))
    import_catalog(db, read_file(EXAMPLE_CATALOG))  # no `sites` section: those in SQL stay
    assert set(load_snapshot(db).sites) == {"regional-north"}
    assert validate_catalog(read_file(EXAMPLE_CATALOG))["sites"] is None


def test_targeting_an_unknown_site_names_the_field_and_imports_nothing(db):
    with pytest.raises(CatalogError) as e:
        import_catalog(db, catalog_with(NORTH, targeting={"sites": ["regional-north", "nowhere"]}))
    assert e.value.fields == {"advertisers.0.campaigns.0.targeting.sites": ["No site 'nowhere' in the catalog."]}
    assert load_snapshot(db).campaigns == ()


def test_targeting_a_site_of_the_same_file_imports(db):
    import_catalog(db, catalog_with(NORTH, targeting={"exclude_sites": ["regional-north"]}))
    snap = load_snapshot(db)
    first = read_file(EXAMPLE_CATALOG)["advertisers"][0]["campaigns"][0]["id"]
    assert snap.by_id[first].targeting.exclude_sites == frozenset({"regional-north"})


def test_cli_adds_lists_changes_and_archives_a_site(cli, db):
    r = cli("sites", "add", "regional-north", "--name", "Regional North", "--domains", "north.example,*.north.example")
    assert r.exit_code == 0, r.output
    assert cli("sites", "add", "regional-north", "--name", "X", "--domains", "x.example").exit_code == 1
    listed = cli("sites", "list", "--wide").stdout
    assert "regional-north" in listed and "north.example, *.north.example" in listed and "active" in listed
    r = cli("sites", "set", "regional-north", "--block", "ledgerly", "--revenue-share", "0.5")
    assert r.exit_code == 0, r.output
    north = load_snapshot(db).sites["regional-north"]
    assert north.blocked_advertisers == {"ledgerly"} and north.revenue_share == 0.5 and north.name == "Regional North"
    bad = cli("sites", "set", "regional-north", "--domains", "10.0.0.1")
    assert bad.exit_code == 1 and "domains.0" in bad.stderr
    assert cli("sites", "archive", "regional-north").exit_code == 0
    assert load_snapshot(db).sites == {}
    assert "archived" in cli("sites", "list").stdout
    assert cli("sites", "set", "regional-north", "--status", "active").exit_code == 0
    assert set(load_snapshot(db).sites) == {"regional-north"}
    assert cli("sites", "archive", "nowhere").exit_code == 1


def test_cli_lists_the_implicit_site_when_there_is_none(cli):
    assert "implicit site `default`" in cli("sites", "list").stdout
