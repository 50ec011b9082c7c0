"""Eligibility: status, flight dates, placement, language, excluded keywords and sentiments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adserver.serving.decision import decide
from adserver.serving.eligibility import rejection_reason, split_eligible
from tests.builders import TODAY, article, campaign, snapshot

SPORT = {"topics": ["sport"]}


def reason(c, ctx, today=TODAY):
    return rejection_reason(c, ctx, today, ctx.text_words())


def test_active_campaign_inside_its_dates_is_eligible():
    c = campaign(targeting=SPORT, starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=1))
    assert reason(c, article(topic="sport")) is None


@pytest.mark.parametrize("status", ["paused", "archived"])
def test_inactive_status_is_rejected(status):
    assert reason(campaign(status=status), article(topic="sport")) == f"status is {status}"


def test_campaign_before_its_start_date_is_rejected():
    c = campaign(starts_on=TODAY + timedelta(days=1))
    assert reason(c, article(topic="sport")) == "outside its flight dates"


def test_campaign_after_its_end_date_is_rejected():
    c = campaign(ends_on=TODAY - timedelta(days=1))
    assert reason(c, article(topic="sport")) == "outside its flight dates"


def test_campaign_serves_on_its_first_and_last_day():
    c = campaign(starts_on=TODAY, ends_on=TODAY)
    assert reason(c, article(topic="sport")) is None


@pytest.mark.parametrize(
    "money",
    [
        {"total_budget": 0.0},
        {"daily_budget": 0.0},
        {"pricing_model": "cpc", "price": 0.5, "total_budget": 0.4},  # not even one click fits
    ],
)
def test_a_campaign_that_cannot_spend_is_never_eligible(money):
    c = campaign(targeting=SPORT, **money)
    ctx = article(topic="sport")
    assert reason(c, ctx) == "its budget leaves nothing to spend"
    assert decide(ctx, snapshot(c)).decision is None


@pytest.mark.parametrize(
    "money", [{}, {"total_budget": 0.01}, {"pricing_model": "cpc", "price": 0.5, "total_budget": 0.6}]
)
def test_a_campaign_with_something_to_spend_stays_eligible(money):
    c = campaign(targeting=SPORT, **money)
    ctx = article(topic="sport")
    assert reason(c, ctx) is None
    assert decide(ctx, snapshot(c)).decision is not None


def test_untargeted_placement_is_rejected():
    c = campaign(targeting={"placements": ["sidebar"]})
    assert reason(c, article("article-footer", topic="sport")) == "placement article-footer not targeted"


def test_no_placement_list_means_every_placement():
    assert reason(campaign(), article("article-inline", topic="sport")) is None


def test_untargeted_language_is_rejected():
    c = campaign(targeting={"languages": ["en"]})
    assert reason(c, article(topic="sport", language="de")) == "language de not targeted"


def test_language_region_is_matched_on_the_language():
    c = campaign(targeting={"languages": ["en"]})
    assert reason(c, article(topic="sport", language="en-GB")) is None


def test_article_without_language_is_not_rejected_for_language():
    c = campaign(targeting={"languages": ["en"]})
    assert reason(c, article(topic="sport")) is None


def test_excluded_keyword_in_article_keywords_is_rejected():
    c = campaign(targeting={"topics": ["sport"], "exclude_keywords": ["doping"]})
    assert reason(c, article(topic="sport", keywords=["Tour", "Doping"])) == "excluded keyword 'doping'"


def test_excluded_keyword_in_title_is_rejected():
    c = campaign(targeting={"topics": ["travel"], "exclude_keywords": ["plane crash"]})
    ctx = article(topic="travel", title="Plane crash closes the airport for a day")
    assert reason(c, ctx) == "excluded keyword 'plane-crash'"


def test_excluded_keyword_as_topic_is_rejected():
    c = campaign(targeting={"keywords": ["markets"], "exclude_keywords": ["obituaries"]})
    assert reason(c, article(topic="Obituaries", keywords=["markets"])) == "excluded keyword 'obituaries'"


def test_excluded_keyword_elsewhere_in_a_word_does_not_reject():
    c = campaign(targeting={"topics": ["sport"], "exclude_keywords": ["war"]})
    assert reason(c, article(topic="sport", title="Warriors win the final")) is None


def test_excluded_sentiment_is_rejected():
    c = campaign(targeting={"topics": ["business"], "exclude_sentiments": ["negative"]})
    assert reason(c, article(topic="business", sentiment="negative")) == "excludes negative sentiment"


def test_other_sentiment_passes_a_sentiment_exclusion():
    c = campaign(targeting={"topics": ["business"], "exclude_sentiments": ["negative"]})
    assert reason(c, article(topic="business", sentiment="positive")) is None


def test_split_eligible_returns_every_rejection_with_its_campaign():
    live, paused = campaign("live"), campaign("paused", status="paused")
    eligible, rejected = split_eligible([live, paused], article(topic="sport"), TODAY)
    assert eligible == [live]
    assert [(r.campaign_id, r.reason) for r in rejected] == [("paused", "status is paused")]


def test_excluded_sentiment_never_wins_even_with_top_priority_and_score():
    rules = {"topics": ["business"], "keywords": ["stocks"], "exclude_sentiments": ["negative"]}
    best = campaign("best", priority=9, targeting=rules)
    other = campaign("other", priority=0, targeting={"topics": ["business"]})
    outcome = decide(article(topic="business", keywords=["stocks"], sentiment="negative"), snapshot(best, other))
    assert outcome.decision.campaign.id == "other"


def test_excluded_keyword_never_wins_even_with_top_priority_and_score():
    best = campaign("best", priority=9, targeting={"topics": ["sport"], "exclude_keywords": ["injury"]})
    outcome = decide(article(topic="sport", keywords=["injury"]), snapshot(best), explain=True)
    assert outcome.decision is None
    assert [r.reason for r in outcome.rejected] == ["excluded keyword 'injury'"]


def test_paused_campaign_is_never_chosen():
    outcome = decide(article(topic="sport"), snapshot(campaign(status="paused", targeting=SPORT)))
    assert outcome.decision is None


def test_ended_campaign_is_never_chosen():
    ended = campaign(ends_on=date.today() - timedelta(days=1), targeting=SPORT)
    assert decide(article(topic="sport"), snapshot(ended)).decision is None


def test_house_card_serves_only_when_no_paid_campaign_is_eligible():
    house = campaign("house", house=True, priority=100, targeting={})
    sport = campaign("sport", priority=0, targeting={"topics": ["sport"]})
    snap = snapshot(house, sport)
    assert decide(article(topic="football"), snap, today=TODAY).decision.campaign.id == "sport"
    assert decide(article(topic="food"), snap, today=TODAY).decision.campaign.id == "house"


def test_events_on_a_house_card_are_never_billed():
    from adserver.audience.client import Requester
    from adserver.events.event import HOUSE, from_decision

    snap = snapshot(campaign("house", house=True, pricing_model="cpm", price=50.0, targeting={}))
    event = from_decision(
        decide(article(topic="food"), snap, today=TODAY).decision, Requester(ip_hash="ip", device="browser")
    )
    assert (event.billable, event.reason, event.cost) == (False, HOUSE, 0.0)
