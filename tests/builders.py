"""Small builders for catalog values in pure tests (targeting, ranking, decisions), catalog files and events."""

from __future__ import annotations

import copy
from datetime import date

from adserver.catalog import Campaign, CatalogSnapshot, Creative, Targeting
from adserver.context import ArticleContext
from adserver.events.event import Event

# Headless Chromium as the browser tests and bench/embed.py drive it (Debian's, never a downloaded one).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def creative(campaign_id: str, **kw) -> Creative:
    values = dict(
        id=f"{campaign_id}-card",
        campaign_id=campaign_id,
        display_name="Sponsor",
        title="A sponsor title",
        cta_text="Go",
        landing_url="https://sponsor.example/",
    )
    values.update(kw)
    return Creative(**values)


def campaign(id: str = "c1", *, targeting: dict | None = None, **kw) -> Campaign:
    """A runnable campaign; keyword arguments override any field, `targeting` is the file's dict form."""
    values = dict(
        id=id,
        advertiser_id="adv",
        advertiser_name="Advertiser",
        name=id,
        status="active",
        pricing_model="cpm",
        price=5.0,
        priority=1,
        targeting=Targeting.from_dict(targeting or {}),
        creatives=(creative(id),),
    )
    values.update(kw)
    return Campaign(**values)


def snapshot(*campaigns: Campaign) -> CatalogSnapshot:
    return CatalogSnapshot.build(1, tuple(campaigns))


def article(placement: str = "article-footer", **kw) -> ArticleContext:
    return ArticleContext.create(placement, **kw)


TODAY = date(2026, 6, 15)

_MINIMAL_FILE = {
    "advertisers": [
        {
            "id": "acme",
            "name": "Acme",
            "domain": "acme.example",
            "campaigns": [
                {
                    "id": "acme-spring",
                    "name": "Spring",
                    "pricing": {"model": "cpc", "price": 0.5},
                    "budget": {"total": 100, "daily": 10},
                    "targeting": {"topics": ["technology"], "keywords": ["gadgets"]},
                    "creatives": [
                        {
                            "id": "acme-spring-card",
                            "display_name": "Acme",
                            "title": "Acme gadgets",
                            "cta": {"text": "Buy", "url": "https://acme.example/buy"},
                        }
                    ],
                }
            ],
        }
    ]
}


def catalog_file() -> dict:
    """A fresh, valid one-advertiser catalog file (mutate it freely)."""
    return copy.deepcopy(_MINIMAL_FILE)


def zahid_event(decision_id: str, event_type: str = "impression", **kw) -> Event:
    """An event of the example catalog's zahid.host card, as a web process would queue it."""
    values = dict(
        decision_id=decision_id,
        event_type=event_type,
        campaign_id="zahid-ai-side-projects",
        creative_id="zahid-agents-card",
        advertiser_id="zahid-host",
        placement="article-footer",
        topic="artificial-intelligence",
    )
    values.update(kw)
    return Event(**values)
