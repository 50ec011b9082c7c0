"""Eligibility rules: what may never be shown, whatever its relevance."""

from __future__ import annotations

from datetime import date

from adserver.catalog import Campaign, Creative, Targeting
from adserver.context import ArticleContext
from adserver.targeting import split_eligible

TODAY = date(2026, 11, 25)


def campaign(cid="c1", **kw) -> Campaign:
    targeting = Targeting.from_dict(kw.pop("targeting", {}))
    creative = Creative(
        id=f"{cid}-card", campaign_id=cid, display_name="X", title="T", cta_text="Go", landing_url="https://x.example"
    )
    return Campaign(
        id=cid,
        advertiser_id="a",
        advertiser_name="A",
        name=cid,
        status=kw.pop("status", "active"),
        pricing_model="cpm",
        price=1.0,
        targeting=targeting,
        creatives=(creative,),
        **kw,
    )


def ctx(**article) -> ArticleContext:
    return ArticleContext.create(article.pop("placement", "article-footer"), **article)


def eligible_ids(campaigns, context):
    return [c.id for c in split_eligible(campaigns, context, TODAY)[0]]


def test_paused_campaign_is_not_eligible():
    assert eligible_ids([campaign(status="paused")], ctx(topic="ai")) == []


def test_campaign_outside_its_dates_is_not_eligible():
    assert eligible_ids([campaign(ends_on=date(2026, 11, 24))], ctx(topic="ai")) == []
    assert eligible_ids([campaign(starts_on=date(2026, 11, 26))], ctx(topic="ai")) == []
    assert eligible_ids([campaign(starts_on=TODAY, ends_on=TODAY)], ctx(topic="ai")) == ["c1"]


def test_placement_targeting_is_respected():
    c = campaign(targeting={"placements": ["sidebar"]})
    assert eligible_ids([c], ctx(topic="ai")) == []
    assert eligible_ids([c], ctx(topic="ai", placement="sidebar")) == ["c1"]


def test_language_targeting_is_respected():
    c = campaign(targeting={"languages": ["de"]})
    assert eligible_ids([c], ctx(topic="ai", language="en-GB")) == []
    assert eligible_ids([c], ctx(topic="ai", language="de")) == ["c1"]


def test_excluded_keyword_in_keywords_never_wins():
    c = campaign(targeting={"topics": ["ai"], "exclude_keywords": ["Layoffs"]})
    assert eligible_ids([c], ctx(topic="ai", keywords=["layoffs"])) == []


def test_excluded_keyword_in_title_never_wins():
    c = campaign(targeting={"exclude_keywords": ["plane crash"]})
    assert eligible_ids([c], ctx(title="Plane crash kills 40 near airport")) == []
    assert eligible_ids([c], ctx(title="Plane makers report record orders")) == ["c1"]


def test_excluded_keyword_as_topic_never_wins():
    c = campaign(targeting={"exclude_keywords": ["war"]})
    assert eligible_ids([c], ctx(topic="War")) == []


def test_excluded_sentiment_never_wins():
    c = campaign(targeting={"exclude_sentiments": ["negative"]})
    assert eligible_ids([c], ctx(topic="ai", sentiment="negative")) == []
    assert eligible_ids([c], ctx(topic="ai", sentiment="neutral")) == ["c1"]


def test_rejections_say_why():
    _, rejected = split_eligible([campaign(status="paused")], ctx(topic="ai"), TODAY)
    assert rejected[0].reason == "status is paused"
