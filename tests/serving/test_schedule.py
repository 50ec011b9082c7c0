"""`targeting.schedule`: days and hours on the campaign's own clock; pacing over the scheduled hours only."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib

from adserver.catalog.files import validate_catalog
from adserver.errors import CatalogError
from adserver.events.pacing import RedisBudget
from adserver.serving.decision import decide
from adserver.serving.schedule import Schedule
from tests.builders import article, campaign, catalog_file, snapshot

# Monday evening in New York (UTC-5 in January) is early Tuesday in UTC: the schedule crosses the UTC day.
EVENINGS = {"days": ["mon"], "hours": ["20-24"], "timezone": "America/New_York"}
TUE_0300_UTC = datetime(2027, 1, 5, 3, 0, tzinfo=UTC)  # Monday 22:00 in New York
MON_0300_UTC = datetime(2027, 1, 4, 3, 0, tzinfo=UTC)  # Sunday 22:00 in New York
TUE_0600_UTC = datetime(2027, 1, 5, 6, 0, tzinfo=UTC)  # Tuesday 01:00 in New York


def test_a_schedule_runs_on_its_own_clock_across_the_utc_day():
    s = Schedule.from_dict(EVENINGS)
    assert s.runs_at(TUE_0300_UTC)
    assert not s.runs_at(MON_0300_UTC) and not s.runs_at(TUE_0600_UTC)
    assert s.local(TUE_0300_UTC) == "mon 22:00 America/New_York"


def test_the_day_share_counts_only_scheduled_time_in_the_utc_day():
    s = Schedule.from_dict(EVENINGS)  # Tuesday 01:00-05:00 UTC
    assert s.day_share(datetime(2027, 1, 5, 1, 0, tzinfo=UTC)) == 0.0
    assert s.day_share(TUE_0300_UTC) == 0.5
    assert s.day_share(datetime(2027, 1, 5, 4, 30, tzinfo=UTC)) == pytest.approx(0.875)
    assert s.day_share(datetime(2027, 1, 5, 12, 0, tzinfo=UTC)) == 1.0
    half_hour = Schedule.from_dict({"hours": ["09-10"], "timezone": "Asia/Kolkata"})  # 03:30-04:30 UTC
    assert half_hour.day_share(datetime(2027, 1, 5, 4, 0, tzinfo=UTC)) == 0.5


def test_outside_its_schedule_a_campaign_is_not_eligible_though_the_plan_is_shared(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    snap = snapshot(campaign("evening", targeting={"schedule": EVENINGS}), campaign("any", priority=0))
    gate = RedisBudget(conn)
    ctx = article(topic="sport", title="Cup final")
    assert decide(ctx, snap, budget=gate, now=TUE_0300_UTC).decision.campaign.id == "evening"
    late = decide(ctx, snap, budget=gate, now=TUE_0600_UTC)  # same article, same plan, later reader
    assert late.decision.campaign.id == "any"
    explained = decide(ctx, snap, budget=gate, now=MON_0300_UTC, explain=True)
    assert ("evening", "outside its schedule (sun 22:00 America/New_York)") in [
        (r.campaign_id, r.reason) for r in explained.rejected
    ]


def test_even_pacing_spreads_the_daily_budget_over_the_scheduled_hours_only(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    plain = replace(campaign("c"), daily_budget=10.0, pacing="even")
    scheduled = replace(plain, targeting=replace(plain.targeting, schedule=Schedule.from_dict(EVENINGS)))
    conn.set("adserver:spend:day:2027-01-05:c", 4 * 1_000_000)  # 40% of the day's budget spent
    halfway = RedisBudget(conn, now=lambda: TUE_0300_UTC, rng=random.Random(0))  # 12.5% of the UTC day
    assert halfway.verdicts([scheduled]) == {"c": ""}  # half its scheduled hours are gone: 40% is behind
    assert halfway.verdicts([plain]) == {"c": "pacing: ahead of the day"}  # 12.5% of the UTC day is
    assert halfway.choose([scheduled]).winner == 0
    early = RedisBudget(conn, now=lambda: datetime(2027, 1, 5, 1, 30, tzinfo=UTC), rng=random.Random(0))
    assert early.verdicts([scheduled]) == {"c": "pacing: ahead of the day"}  # 12.5% of its hours gone
    assert early.choose([scheduled]).winner is None


@pytest.mark.parametrize(
    "schedule,path",
    [
        ({"timezone": "Mars/Olympus"}, "schedule.timezone"),
        ({"hours": ["10-07"]}, "schedule.hours.0"),
        ({"hours": ["7 to 10"]}, "schedule.hours.0"),
        ({"hours": ["00-25"]}, "schedule.hours.0"),
        ({"days": ["monday"]}, "schedule.days.0"),
        ({"weekdays": ["mon"]}, "schedule.weekdays"),
    ],
)
def test_a_bad_schedule_is_refused_naming_its_field(schedule, path):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["targeting"]["schedule"] = schedule
    with pytest.raises(CatalogError) as e:
        validate_catalog(data)
    assert [p.split("targeting.")[1] for p in e.value.fields] == [path]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Eucla"])
def test_the_days_table_agrees_with_the_local_clock_at_every_minute(zone):
    s = Schedule.from_dict({"days": ["mon", "fri", "sat"], "hours": ["00-03", "09-17", "23-24"], "timezone": zone})
    start = datetime(2027, 3, 26, tzinfo=UTC)  # a week spanning Europe's and Australia's clock changes
    for minute in range(0, 8 * 24 * 60, 7):
        instant = start + timedelta(minutes=minute)
        assert s.runs_at(instant) == s.runs_at_local(instant), instant


def test_verdicts_pace_each_campaign_by_its_own_clock_in_one_answer(redis_url):
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    plain = replace(campaign("plain"), daily_budget=10.0, pacing="even")
    evening = replace(campaign("evening", targeting={"schedule": EVENINGS}), daily_budget=10.0, pacing="even")
    for c in (plain, evening):
        conn.set(f"adserver:spend:day:2027-01-05:{c.id}", 4 * 1_000_000)
    gate = RedisBudget(conn, now=lambda: TUE_0300_UTC, rng=random.Random(0))
    assert gate.verdicts([plain, evening]) == {"plain": "pacing: ahead of the day", "evening": ""}
