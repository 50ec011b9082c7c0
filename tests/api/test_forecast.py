"""`POST /v1/forecast`: matching impressions per day from the recorded decisions, the competition as a count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adserver.catalog import api_tokens, self_service
from tests.builders import recorded_decisions


@pytest.fixture
def token(db, example_catalog):
    return {"Authorization": f"Bearer {api_tokens.create(db, 'ledgerly')}"}


def ask(client, headers, query: str = "", **body):
    return client.post(f"/v1/forecast{query}", json=body, headers=headers)


def per_day(client, headers, **targeting) -> dict:
    r = ask(client, headers, targeting=targeting)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["per_day"]


def test_a_topic_forecasts_its_articles_readers_per_day_with_the_weeks_spread(client, db, token):
    recorded_decisions(db)
    body = ask(client, token, targeting={"topics": ["artificial-intelligence"]}).get_json()
    assert body["per_day"] == {"expected": round((5 * 100 + 2 * 200) / 7), "low": 100, "high": 200}
    assert body["days"] == 28
    assert body["last_day"] == (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def test_countries_devices_and_schedule_take_their_share_of_the_readers(client, db, token):
    recorded_decisions(db)
    ai = ["artificial-intelligence"]
    assert per_day(client, token, topics=ai, countries=["FR"])["low"] == 40
    assert per_day(client, token, topics=ai, devices=["desktop"])["low"] == 60
    assert per_day(client, token, topics=ai, exclude_countries=["DE"])["low"] == 40
    evenings = {"hours": ["18-24"], "timezone": "UTC"}
    assert per_day(client, token, topics=ai, schedule=evenings)["low"] == 40
    # 21:00-24:00 in Paris is 20:00-23:00 UTC in winter, 19:00-22:00 in summer: the 20:00 readers either way.
    paris = {"hours": ["21-24"], "timezone": "Europe/Paris"}
    assert per_day(client, token, topics=ai, schedule=paris)["low"] == 40
    assert per_day(client, token, topics=ai, countries=["US"])["expected"] == 0


def test_keywords_match_where_the_article_names_them(client, db, token):
    recorded_decisions(db)
    assert per_day(client, token, keywords=["cup final"])["expected"] == 50  # in the title
    assert per_day(client, token, keywords=["agents"])["low"] == 100  # among the article's keywords
    assert per_day(client, token, keywords=["tennis"])["expected"] == 0
    excluded = per_day(client, token, topics=["artificial-intelligence", "sport"], exclude_keywords=["agents"])
    assert excluded["expected"] == 50


def test_the_competition_is_a_count_of_other_campaigns_at_the_tier_or_above(client, db, token):
    recorded_decisions(db)
    body = ask(client, token, targeting={"topics": ["artificial-intelligence"]}).get_json()
    assert body["competing"] == 2  # zahid.host's AI campaign and TunnelGuard's on technology (AI is under it)
    assert ask(client, token, targeting={"topics": ["sport"]}).get_json()["competing"] == 1  # Matchday TV's
    # Readers no other campaign may serve (its country) leave no competition.
    alone = ask(client, token, targeting={"topics": ["sport"], "countries": ["DE"], "devices": ["desktop"]})
    assert alone.get_json()["competing"] == 0


def test_a_forecast_names_no_other_advertiser_nor_their_figures(client, db, token, services):
    recorded_decisions(db)
    text = ask(client, token, targeting={"topics": ["artificial-intelligence", "sport"]}).get_data(as_text=True)
    for c in services.catalog.get().campaigns:
        if c.advertiser_id != "ledgerly":
            assert c.id not in text and c.name not in text and c.advertiser_name not in text
            for creative in c.creatives:
                assert creative.id not in text and creative.title not in text


def test_another_advertisers_campaign_is_not_found(client, db, token):
    recorded_decisions(db)
    r = ask(client, token, campaign="zahid-ai-side-projects", targeting={"topics": ["programming"]})
    assert r.status_code == 404


def test_an_edited_campaign_is_out_of_its_own_competition_and_keeps_its_tier(client, db, example_catalog):
    recorded_decisions(db)
    zahid = {"Authorization": f"Bearer {api_tokens.create(db, 'zahid-host')}"}
    r = ask(client, zahid, campaign="zahid-ai-side-projects", targeting={"topics": ["artificial-intelligence"]})
    assert r.status_code == 200 and r.get_json()["competing"] == 0  # TunnelGuard's is a tier below (priority 0)
    new = ask(client, zahid, targeting={"topics": ["artificial-intelligence"]})
    assert new.get_json()["competing"] == 2  # a new campaign is at tier 0: its own sibling counts, and TunnelGuard


def test_an_operator_forecasts_for_the_advertiser_it_names(client, db, example_catalog):
    recorded_decisions(db)
    operator = {"Authorization": f"Bearer {api_tokens.create(db, None)}"}
    r = ask(client, operator, targeting={"topics": ["sport"]})
    assert r.status_code == 422 and "advertiser" in r.get_json()["error"]["fields"]
    assert ask(client, operator, "?advertiser=ledgerly", targeting={"topics": ["sport"]}).status_code == 200


def test_price_budget_and_dates_say_what_the_budget_buys_and_the_flight_holds(client, db, token):
    recorded_decisions(db)
    start = datetime.now(UTC).date() + timedelta(days=7)
    body = ask(
        client,
        token,
        targeting={"topics": ["sport"]},
        pricing={"model": "cpm", "price": 5},
        budget={"daily": 10},
        starts_on=start.isoformat(),
        ends_on=(start + timedelta(days=9)).isoformat(),
    ).get_json()
    assert body["daily_budget_buys"] == 2000
    assert body["flight"] == {"days": 10, "expected": 500}


@pytest.mark.parametrize("schedule", [None, {"days": ["mon"], "hours": ["07-10"], "timezone": "Europe/Berlin"}])
def test_without_recorded_decisions_the_forecast_says_so(client, token, schedule):
    targeting = {"topics": ["sport"]} | ({"schedule": schedule} if schedule else {})
    r = ask(client, token, targeting=targeting)
    assert r.status_code == 200, r.get_json()  # a schedule had no days to share out: a 500 before
    assert r.get_json()["days"] == 0 and r.get_json()["per_day"] == {"expected": 0, "low": 0, "high": 0}


def test_counting_began_lately_reads_the_days_since(client, db, token):
    recorded_decisions(db, days=3)
    body = ask(client, token, targeting={"topics": ["sport"]}).get_json()
    assert body["days"] == 3 and body["per_day"]["expected"] == 50


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"targeting": {"topics": "sport"}}, 400, "targeting.topics"),
        ({"targeting": {"countries": ["Germany"]}, "topics": ["sport"]}, 400, "targeting.countries.0"),
        ({"targeting": {"topics": ["sport"]}, "pricing": {"model": "cpm"}}, 400, "pricing.price"),
        ({"targeting": {"topics": ["sport"]}, "starts_on": "2027-02-01", "ends_on": "2027-01-01"}, 422, "ends_on"),
        ({"targeting": {}}, 422, "targeting"),  # run of site is the operator's
        ({"targeting": {"keywords": ["the"]}}, 422, "targeting.keywords"),
        ({"targeting": {"topics": ["sport"], "min_relevance": 0.1}}, 422, "targeting.min_relevance"),
    ],
)
def test_bad_input_names_its_field(client, token, body, status, field):
    r = client.post("/v1/forecast", json=body, headers=token)
    assert r.status_code == status
    assert field in r.get_json()["error"]["fields"]


def test_a_forecast_needs_a_token(client, example_catalog):
    assert ask(client, {}, targeting={"topics": ["sport"]}).status_code == 401


def test_limits_raise_the_floor_a_forecast_is_held_to(client, db, token):
    self_service.set_limits(db, "ledgerly", min_relevance=0.7)
    r = ask(client, token, targeting={"topics": ["sport"], "min_relevance": 0.6})
    assert r.status_code == 422 and "targeting.min_relevance" in r.get_json()["error"]["fields"]
