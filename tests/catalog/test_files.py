"""Catalog files: every bad field reported by path, all-or-nothing imports, idempotent upserts, export."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from adserver.catalog.files import export_catalog, import_catalog, read_file, validate_catalog
from adserver.catalog.store import load_snapshot
from adserver.errors import CatalogError
from adserver.infra import storage
from tests.builders import CAMPAIGN, catalog_file, errors_of
from tests.conftest import EXAMPLE_CATALOG, _reset

CREATIVE = f"{CAMPAIGN}.creatives.0"
NEWS_TOPICS = ["technology", "business", "sport", "politics", "entertainment", "science", "health", "travel", "climate"]


def count(db, model) -> int:
    with db.sessionmaker() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_bad_status_is_reported_with_its_path():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["status"] = "running"
    assert f"{CAMPAIGN}.status" in errors_of(data)


def test_bad_pricing_model_is_reported_with_its_path():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["pricing"]["model"] = "cpa"
    assert f"{CAMPAIGN}.pricing.model" in errors_of(data)


def test_bad_excluded_sentiment_is_reported_with_its_index():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["targeting"]["exclude_sentiments"] = ["negative", "angry"]
    assert list(errors_of(data)) == [f"{CAMPAIGN}.targeting.exclude_sentiments.1"]


@pytest.mark.parametrize("field", ["cta", "secondary_cta"])
def test_javascript_cta_url_is_refused(field):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0][field] = {"text": "Go", "url": "javascript:alert(1)"}
    assert f"{CREATIVE}.{field}.url" in errors_of(data)


def test_javascript_image_url_is_refused():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["image_url"] = "javascript:alert(1)"
    assert f"{CREATIVE}.image_url" in errors_of(data)


def test_data_url_is_refused_as_landing_url():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["cta"]["url"] = "data:text/html,<script>alert(1)</script>"
    assert f"{CREATIVE}.cta.url" in errors_of(data)


def test_duplicate_campaign_id_is_reported_at_the_second_occurrence():
    data = catalog_file()
    camps = data["advertisers"][0]["campaigns"]
    second = json.loads(json.dumps(camps[0]))
    second["creatives"][0]["id"] = "another-card"
    camps.append(second)
    errors = errors_of(data)
    assert list(errors) == ["advertisers.0.campaigns.1.id"]
    assert "Duplicate campaign id 'acme-spring'" in errors["advertisers.0.campaigns.1.id"][0]


def test_duplicate_creative_id_across_campaigns_is_reported():
    data = catalog_file()
    camps = data["advertisers"][0]["campaigns"]
    second = json.loads(json.dumps(camps[0]))
    second["id"] = "acme-summer"
    camps.append(second)
    assert list(errors_of(data)) == ["advertisers.0.campaigns.1.creatives.0.id"]


def test_duplicate_advertiser_id_is_reported():
    data = catalog_file()
    data["advertisers"].append({"id": "acme", "name": "Acme again"})
    assert "advertisers.1.id" in errors_of(data)


def test_daily_budget_above_total_is_reported_on_daily():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["budget"] = {"total": 100, "daily": 150}
    assert list(errors_of(data)) == [f"{CAMPAIGN}.budget.daily"]


def test_unknown_key_is_reported_not_ignored():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["targetting"] = {"topics": ["sport"]}
    assert f"{CAMPAIGN}.targetting" in errors_of(data)


def test_end_before_start_is_reported():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0].update(starts_on="2026-05-01", ends_on="2026-04-01")
    assert f"{CAMPAIGN}.ends_on" in errors_of(data)


def test_every_bad_field_is_reported_at_once():
    data = catalog_file()
    camp = data["advertisers"][0]["campaigns"][0]
    camp["status"] = "running"
    camp["priority"] = "high"
    camp["creatives"][0]["cta"]["url"] = "javascript:alert(1)"
    del camp["creatives"][0]["title"]
    assert set(errors_of(data)) == {
        f"{CAMPAIGN}.status",
        f"{CAMPAIGN}.priority",
        f"{CREATIVE}.cta.url",
        f"{CREATIVE}.title",
    }


def test_nothing_is_imported_when_one_field_is_bad(db):
    data = catalog_file()
    data["advertisers"].append({"id": "good-one", "name": "Fine"})
    data["advertisers"][0]["campaigns"][0]["budget"]["daily"] = 1000
    with pytest.raises(CatalogError):
        import_catalog(db, data)
    assert count(db, storage.Advertiser) == 0
    assert db.catalog_version() == 0


def test_bad_import_leaves_the_existing_catalog_untouched(db):
    import_catalog(db, catalog_file())
    data = catalog_file()
    data["advertisers"][0]["name"] = "Renamed"
    data["advertisers"][0]["campaigns"][0]["status"] = "bogus"
    with pytest.raises(CatalogError):
        import_catalog(db, data)
    with db.sessionmaker() as s:
        assert s.get(storage.Advertiser, "acme").name == "Acme"


def test_first_import_creates_every_row(db):
    counts = import_catalog(db, catalog_file())
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (3, 0, 0)
    assert db.catalog_version() == 1


def test_reimporting_the_example_catalog_changes_nothing(db):
    first = import_catalog(db, read_file(EXAMPLE_CATALOG))
    second = import_catalog(db, read_file(EXAMPLE_CATALOG))
    assert (second["created"], second["updated"]) == (0, 0)
    assert second["unchanged"] == first["created"]
    assert db.catalog_version() == first["version"]


def test_changed_field_updates_in_place_and_bumps_the_version(db):
    import_catalog(db, catalog_file())
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["title"] = "New title"
    counts = import_catalog(db, data)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 1, 2)
    assert counts["version"] == 2
    with db.sessionmaker() as s:
        assert s.get(storage.Creative, "acme-spring-card").title == "New title"


def test_export_imports_back_unchanged(db):
    import_catalog(db, read_file(EXAMPLE_CATALOG))
    counts = import_catalog(db, export_catalog(db))
    assert (counts["created"], counts["updated"]) == (0, 0)


def test_export_round_trips_into_an_empty_database(db):
    import_catalog(db, read_file(EXAMPLE_CATALOG))
    exported = export_catalog(db)
    _reset(db)
    import_catalog(db, json.loads(json.dumps(exported)))
    assert export_catalog(db) == exported


def test_invalid_yaml_is_a_catalog_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("advertisers: [\n  - id: x\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        read_file(bad)


def test_json_catalog_file_is_read(tmp_path):
    f = tmp_path / "catalog.json"
    f.write_text(json.dumps(catalog_file()))
    assert validate_catalog(read_file(f))["advertisers"][0]["id"] == "acme"


def test_example_catalog_has_at_least_twelve_sponsors():
    assert len(validate_catalog(read_file(EXAMPLE_CATALOG))["advertisers"]) >= 12


@pytest.mark.parametrize("topic", NEWS_TOPICS)
def test_example_catalog_has_an_active_campaign_for_each_news_topic(topic):
    data = validate_catalog(read_file(EXAMPLE_CATALOG))
    active = [c for a in data["advertisers"] for c in a["campaigns"] if c["status"] == "active" and not c["ends_on"]]
    assert any(topic in c["targeting"]["topics"] for c in active)


def test_example_catalog_shows_a_paused_and_an_ended_campaign():
    from datetime import date

    campaigns = [c for a in validate_catalog(read_file(EXAMPLE_CATALOG))["advertisers"] for c in a["campaigns"]]
    assert any(c["status"] == "paused" for c in campaigns)
    assert any(c["ends_on"] and c["ends_on"] < date.today() for c in campaigns)


def test_min_relevance_outside_0_to_1_is_reported_with_its_path():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0].setdefault("targeting", {})["min_relevance"] = 1.5
    assert f"{CAMPAIGN}.targeting.min_relevance" in errors_of(data)


def test_house_and_min_relevance_survive_import_and_export(db):
    data = catalog_file()
    camp = data["advertisers"][0]["campaigns"][0]
    camp["house"] = True
    camp.setdefault("targeting", {})["min_relevance"] = 0.7
    import_catalog(db, data)
    exported = export_catalog(db)["advertisers"][0]["campaigns"][0]
    assert exported["house"] is True and exported["targeting"]["min_relevance"] == 0.7
    snap = load_snapshot(db)
    assert snap.campaigns[0].house and snap.campaigns[0].targeting.min_relevance == 0.7


def test_a_file_read_in_memory_is_the_catalog_serving_sees_after_its_import(db):
    from adserver.model.catalogs import campaigns_from_data

    data = read_file(EXAMPLE_CATALOG)
    import_catalog(db, data)
    assert campaigns_from_data(data) == load_snapshot(db).campaigns


def test_a_currency_that_is_not_an_iso_code_is_reported_with_its_path():
    data = catalog_file()
    data["advertisers"][0]["currency"] = "euro"
    assert "advertisers.0.currency" in errors_of(data)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("display_name", "zahid.\u202etsoh", "display_name"),
        ("title", "Ship \u2066it\u2069", "title"),
        ("tagline", "\u200ffast", "tagline"),
        ("hook", "reading about \u202bagents", "hook"),
        ("body", "Run it\u202d here", "body"),
        ("fine_print", "\u061cterms", "fine_print"),
        ("code_lines", ["$ git push", "\u202eevil"], "code_lines.1"),
        ("hook_variants", {"ai": "\u2067agents"}, "hook_variants.ai.value"),
        ("cta", {"text": "Go\u202e", "url": "https://zahid.host/"}, "cta.text"),
    ],
)
def test_card_text_with_bidirectional_controls_is_refused_naming_the_field(field, value, path):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0][field] = value
    errors = errors_of(data)
    assert "bidirectional" in errors[f"{CREATIVE}.{path}"][0]


def test_card_text_in_any_script_is_accepted():
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["title"] = "مرحبا — שלום — Grüße — こんにちは"
    validate_catalog(data)
