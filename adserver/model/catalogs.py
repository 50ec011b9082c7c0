"""Catalog files read straight into a snapshot (no SQL): for training, evaluation and benchmarks."""

from __future__ import annotations

from pathlib import Path

from ..catalog.files import campaign_values, creative_values, read_file, validate_catalog
from ..serving.snapshot import Campaign, CatalogSnapshot


def campaigns_from_data(data: dict) -> tuple[Campaign, ...]:
    """Validated catalog-file data -> frozen campaigns, through the same values and builder as an import
    (`catalog.files.campaign_values`, `Campaign.from_values`): a file read here is the campaign serving would see
    after `adserver catalog import` (a file has no review: its creatives serve as written)."""
    data = validate_catalog(data)
    out = []
    for adv in data["advertisers"]:
        for camp in adv["campaigns"]:
            creatives = [(cr["id"], creative_values(camp["id"], cr)) for cr in camp["creatives"]]
            out.append(Campaign.from_values(camp["id"], campaign_values(adv["id"], camp), adv["name"], creatives))
    return tuple(sorted(out, key=lambda c: c.id))


def snapshot_from_file(path: str | Path, version: int = 1) -> CatalogSnapshot:
    return CatalogSnapshot.build(version, campaigns_from_data(read_file(path)))
