"""The catalog as the decision path sees it: frozen campaign, creative and targeting values in one snapshot.

Pure values, no I/O: `catalog.store` builds the snapshot from SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TypeVar

from ..audience.geo import countries_of
from .schedule import Schedule
from .sites import Site
from .text import normalize_term

STATUSES = ("active", "paused", "archived")
CREATIVE_STATUSES = ("active", "paused")
PRICING_MODELS = ("cpm", "cpc", "flat")
PACING = ("even", "asap")
T = TypeVar("T")

SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Targeting:
    topics: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()
    exclude_keywords: frozenset[str] = frozenset()
    exclude_sentiments: frozenset[str] = frozenset()
    placements: frozenset[str] = frozenset()  # empty: every placement
    languages: frozenset[str] = frozenset()  # empty: every language
    min_relevance: float | None = None  # confidence floor for topics read from the text (None: the default)
    devices: frozenset[str] = frozenset()  # mobile | tablet | desktop; empty: every device
    countries: frozenset[str] = frozenset()  # ISO 3166-1 alpha-2, as the catalog names them
    regions: frozenset[str] = frozenset()  # names in `geo.REGIONS`
    exclude_countries: frozenset[str] = frozenset()
    schedule: Schedule | None = None  # None: every hour of every day
    exclude_categories: frozenset[str] = frozenset()  # sensitive categories (`safety`), sent or read
    sites: frozenset[str] = frozenset()  # site ids (`sites.Site`); empty: every site
    exclude_sites: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, d: Mapping) -> Targeting:
        def terms(key: str) -> frozenset[str]:
            return frozenset(normalize_term(t) for t in d.get(key) or () if normalize_term(t))

        return cls(
            topics=terms("topics"),
            keywords=terms("keywords"),
            exclude_keywords=terms("exclude_keywords"),
            exclude_sentiments=frozenset(d.get("exclude_sentiments") or ()),
            placements=frozenset(d.get("placements") or ()),
            languages=frozenset(str(x).lower() for x in d.get("languages") or ()),
            min_relevance=None if d.get("min_relevance") is None else float(d["min_relevance"]),
            devices=frozenset(d.get("devices") or ()),
            countries=frozenset(str(x).upper() for x in d.get("countries") or ()),
            regions=frozenset(str(x).upper() for x in d.get("regions") or ()),
            exclude_countries=frozenset(str(x).upper() for x in d.get("exclude_countries") or ()),
            schedule=Schedule.from_dict(d["schedule"]) if d.get("schedule") else None,
            exclude_categories=frozenset(d.get("exclude_categories") or ()),
            sites=frozenset(d.get("sites") or ()),
            exclude_sites=frozenset(d.get("exclude_sites") or ()),
        )

    @cached_property
    def in_countries(self) -> frozenset[str]:
        """Where it may serve: its countries and its regions' (empty: anywhere not excluded)."""
        return self.countries | countries_of(self.regions)

    @property
    def geo(self) -> bool:
        return bool(self.countries or self.regions or self.exclude_countries)

    @cached_property
    def per_reader(self) -> bool:
        """Whether it names a rule on the reader (device, country, time): checked per request, after the
        article's plan."""
        return bool(self.devices) or self.geo or self.schedule is not None


@dataclass(frozen=True)
class Creative:
    """A sponsor card, as stored; `hook_for` picks the hook line for an article's topic."""

    id: str
    campaign_id: str
    display_name: str
    title: str
    cta_text: str
    landing_url: str
    tagline: str = ""
    hook: str = ""
    hook_variants: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    code_lines: tuple[str, ...] = ()
    secondary_cta_text: str | None = None
    secondary_cta_url: str | None = None
    fine_print: str = ""
    image_url: str | None = None

    @classmethod
    def from_values(cls, id: str, v: Mapping) -> Creative:
        """A creative from its stored values (`catalog.files.creative_values`: a file's, or its SQL row's)."""
        return cls(
            id=id,
            campaign_id=v["campaign_id"],
            display_name=v["display_name"],
            title=v["title"],
            cta_text=v["cta_text"],
            landing_url=v["landing_url"],
            tagline=v.get("tagline") or "",
            hook=v.get("hook") or "",
            hook_variants={normalize_term(k): x for k, x in (v.get("hook_variants") or {}).items()},
            body=v.get("body") or "",
            code_lines=tuple(v.get("code_lines") or ()),
            secondary_cta_text=v.get("secondary_cta_text"),
            secondary_cta_url=v.get("secondary_cta_url"),
            fine_print=v.get("fine_print") or "",
            image_url=v.get("image_url"),
        )

    def hook_for(self, topic: str | None) -> tuple[str, str]:
        """(variant key, hook line): the topic's variant when there is one, else the default."""
        if topic:
            key = normalize_term(topic)
            if key in self.hook_variants:
                return key, self.hook_variants[key]
        return "default", self.hook


@dataclass(frozen=True)
class Campaign:
    id: str
    advertiser_id: str
    advertiser_name: str
    name: str
    status: str
    pricing_model: str
    price: float
    priority: int = 0
    starts_on: date | None = None
    ends_on: date | None = None
    total_budget: float | None = None
    daily_budget: float | None = None
    pacing: str = "even"
    description: str = ""
    targeting: Targeting = Targeting()
    creatives: tuple[Creative, ...] = ()
    frequency_cap: int | None = None  # impressions per reader (publisher's `article.reader`) ...
    frequency_hours: int = 24  # ... within this many hours
    house: bool = False  # the publisher's own card: fills only what nothing paid matches, never billed
    # Never chosen, kept so that a click on a card served before its pause still finds its landing URL.
    paused_creatives: tuple[Creative, ...] = ()

    @classmethod
    def from_values(
        cls, id: str, v: Mapping, advertiser_name: str, creatives: Iterable[tuple[str, Mapping]] = ()
    ) -> Campaign:
        """A campaign from its stored values (`catalog.files.campaign_values`: a file's, or its SQL row's) and
        its servable creatives' (id, values); a paused creative is kept apart, for clicks on cards it served."""
        cards = [(Creative.from_values(i, x), x.get("status") == "paused") for i, x in creatives]
        return cls(
            id=id,
            advertiser_id=v["advertiser_id"],
            advertiser_name=advertiser_name,
            name=v["name"],
            status=v["status"],
            pricing_model=v["pricing_model"],
            price=float(v["price"]),
            priority=v.get("priority") or 0,
            starts_on=v.get("starts_on"),
            ends_on=v.get("ends_on"),
            total_budget=_money(v.get("total_budget")),
            daily_budget=_money(v.get("daily_budget")),
            pacing=v.get("pacing") or "even",
            frequency_cap=v.get("frequency_cap"),
            frequency_hours=v.get("frequency_hours") or 24,
            house=bool(v.get("house")),
            description=v.get("description") or "",
            targeting=Targeting.from_dict(v.get("targeting") or {}),
            creatives=tuple(c for c, paused in cards if not paused),
            paused_creatives=tuple(c for c, paused in cards if paused),
        )

    def runs_on(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.ends_on is None or day <= self.ends_on)


def _money(v) -> float | None:
    return None if v is None else float(v)


@dataclass(frozen=True)
class CatalogSnapshot:
    version: int
    campaigns: tuple[Campaign, ...]
    loaded_at: datetime
    creatives: Mapping[str, Creative] = field(default_factory=dict)
    by_id: Mapping[str, Campaign] = field(default_factory=dict)
    sites: Mapping[str, Site] = field(default_factory=dict)  # active sites by id; empty: the implicit `default`
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, version: int, campaigns: tuple[Campaign, ...], sites: tuple[Site, ...] = ()) -> CatalogSnapshot:
        return cls(
            version=version,
            campaigns=campaigns,
            loaded_at=datetime.now(UTC),
            creatives={cr.id: cr for c in campaigns for cr in (*c.creatives, *c.paused_creatives)},
            by_id={c.id: c for c in campaigns},
            sites={x.id: x for x in sites},
        )

    def derived(self, factory: Callable[[CatalogSnapshot], T]) -> T:
        """What `factory` builds from this snapshot (an index, a cache), built once on first use and valid
        as long as the snapshot: each consumer registers its own, so the catalog imports none of them."""
        try:
            return self._derived[factory]
        except KeyError:
            return self._derived.setdefault(factory, factory(self))  # a race builds twice, keeps one
