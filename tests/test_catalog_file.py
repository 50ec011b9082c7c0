"""Catalog files: every bad field reported by path, nothing imported on error, idempotent upsert."""

from __future__ import annotations

import copy

import pytest

from adserver.catalog import load_snapshot
from adserver.catalog_file import export_catalog, import_catalog, read_file, validate_catalog
from adserver.errors import CatalogError
from tests.conftest import EXAMPLE_CATALOG


@pytest.fixture
def example():
    return read_file(EXAMPLE_CATALOG)


def errors_of(data) -> dict:
    with pytest.raises(CatalogError) as exc:
        validate_catalog(data)
    return exc.value.fields


def test_example_catalog_is_valid_and_has_at_least_12_sponsors(example):
    data = validate_catalog(example)
    assert len(data["advertisers"]) >= 12
    topics = {t for a in data["advertisers"] for c in a["campaigns"] for t in c["targeting"]["topics"]}
    assert {"artificial-intelligence", "business", "sport", "politics", "entertainment", "health", "travel"} <= topics


def test_every_bad_field_is_reported_with_its_path(example):
    camp = example["advertisers"][1]["campaigns"][0]
    camp["pricing"]["model"] = "per-hour"
    camp["creatives"][0]["cta"]["url"] = "javascript:alert(1)"
    camp["creatives"][0]["image_url"] = "data:text/html,hi"
    camp["budget"] = {"total": 10, "daily": 20}
    camp["targeting"]["colour"] = "blue"
    fields = errors_of(example)
    base = "advertisers.1.campaigns.0"
    assert f"{base}.pricing.model" in fields
    assert f"{base}.creatives.0.cta.url" in fields
    assert f"{base}.creatives.0.image_url" in fields
    assert f"{base}.budget.daily" in fields
    assert f"{base}.targeting.colour" in fields


def test_duplicate_ids_are_reported(example):
    dup = copy.deepcopy(example["advertisers"][1]["campaigns"][0])
    example["advertisers"][2]["campaigns"].append(dup)
    fields = errors_of(example)
    assert any("Duplicate campaign id" in m for msgs in fields.values() for m in msgs)


def test_dates_out_of_order_are_reported(example):
    example["advertisers"][0]["campaigns"][0].update(starts_on="2026-05-01", ends_on="2026-04-01")
    assert "advertisers.0.campaigns.0.ends_on" in errors_of(example)


def test_nothing_is_imported_when_anything_is_wrong(db, example):
    example["advertisers"][-1]["campaigns"][0]["status"] = "sleeping"
    with pytest.raises(CatalogError):
        import_catalog(db, example)
    assert load_snapshot(db).campaigns == ()


def test_reimport_changes_nothing(db, example):
    first = import_catalog(db, example)
    second = import_catalog(db, example)
    assert first["created"] > 0
    assert (second["created"], second["updated"]) == (0, 0)
    assert "version" not in second


def test_reimport_with_a_change_updates_in_place_and_bumps_the_version(db, example):
    v1 = import_catalog(db, example)["version"]
    example["advertisers"][0]["campaigns"][0]["creatives"][0]["title"] = "New title"
    counts = import_catalog(db, example)
    assert counts["updated"] == 1 and counts["version"] == v1 + 1
    assert load_snapshot(db).creatives["zahid-agents-card"].title == "New title"


def test_export_round_trips(db, example):
    import_catalog(db, example)
    exported = export_catalog(db)
    counts = import_catalog(db, exported)
    assert (counts["created"], counts["updated"]) == (0, 0)
    assert len(exported["advertisers"]) == len(example["advertisers"])


def test_invalid_yaml_is_a_catalog_error(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("advertisers: [\n  - id: x\n   name: : :")
    with pytest.raises(CatalogError, match="not valid YAML"):
        read_file(p)
