"""Catalog files read straight into a snapshot (no SQL): for training, evaluation and benchmarks."""

from __future__ import annotations

from pathlib import Path

from ..catalog import Campaign, CatalogSnapshot, Creative, Targeting
from ..catalog_file import read_file, validate_catalog
from ..text import normalize_term


def _opt(v) -> float | None:
    return None if v is None else float(v)


def campaigns_from_data(data: dict) -> tuple[Campaign, ...]:
    """Validated catalog-file data -> frozen campaigns, as `catalog.campaign_from_row` builds them."""
    data = validate_catalog(data)
    out = []
    for adv in data["advertisers"]:
        for camp in adv["campaigns"]:
            out.append(
                Campaign(
                    id=camp["id"],
                    advertiser_id=adv["id"],
                    advertiser_name=adv["name"],
                    name=camp["name"],
                    status=camp["status"],
                    pricing_model=camp["pricing"]["model"],
                    price=float(camp["pricing"]["price"]),
                    priority=camp["priority"],
                    house=camp["house"],
                    starts_on=camp["starts_on"],
                    ends_on=camp["ends_on"],
                    total_budget=_opt(camp["budget"]["total"]),
                    daily_budget=_opt(camp["budget"]["daily"]),
                    pacing=camp["pacing"],
                    description=camp["description"],
                    targeting=Targeting.from_dict(camp["targeting"]),
                    creatives=tuple(
                        Creative(
                            id=cr["id"],
                            campaign_id=camp["id"],
                            display_name=cr["display_name"],
                            title=cr["title"],
                            cta_text=cr["cta"]["text"],
                            landing_url=cr["cta"]["url"],
                            tagline=cr["tagline"],
                            hook=cr["hook"],
                            hook_variants={normalize_term(k): v for k, v in cr["hook_variants"].items()},
                            body=cr["body"],
                            code_lines=tuple(cr["code_lines"]),
                            fine_print=cr["fine_print"],
                        )
                        for cr in camp["creatives"]
                    ),
                )
            )
    return tuple(sorted(out, key=lambda c: c.id))


def snapshot_from_file(path: str | Path, version: int = 1) -> CatalogSnapshot:
    return CatalogSnapshot.build(version, campaigns_from_data(read_file(path)))
