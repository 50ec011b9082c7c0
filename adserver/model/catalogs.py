"""Catalog files read straight into a snapshot (no SQL): for training, evaluation and benchmarks."""

from __future__ import annotations

from pathlib import Path

from ..catalog.files import campaign_values, creative_values, read_file, validate_catalog
from ..catalog.store import campaign_from_row
from ..infra import storage
from ..serving.snapshot import Campaign, CatalogSnapshot


def campaigns_from_data(data: dict) -> tuple[Campaign, ...]:
    """Validated catalog-file data -> frozen campaigns, through the same rows and builder as an import:
    a file read here is the campaign serving would see after `adserver catalog import`."""
    data = validate_catalog(data)
    out = []
    for adv in data["advertisers"]:
        advertiser = storage.Advertiser(id=adv["id"], name=adv["name"], domain=adv["domain"])
        for camp in adv["campaigns"]:
            row = storage.Campaign(id=camp["id"], **campaign_values(adv["id"], camp))
            row.advertiser = advertiser
            row.creatives = [
                storage.Creative(id=cr["id"], **creative_values(camp["id"], cr)) for cr in camp["creatives"]
            ]
            out.append(campaign_from_row(row))
    return tuple(sorted(out, key=lambda c: c.id))


def snapshot_from_file(path: str | Path, version: int = 1) -> CatalogSnapshot:
    return CatalogSnapshot.build(version, campaigns_from_data(read_file(path)))
