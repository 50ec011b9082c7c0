from datetime import UTC, datetime

import pytest

from adserver.events import Event, classify, cost_of, ip_hash, truncate_ip
from tests.events_helpers import BROWSER, counts, decide, drain, path, rollup_totals


def test_ipv4_is_truncated_to_its_slash_24():
    assert truncate_ip("203.0.113.77") == "203.0.113.0"


def test_ipv6_is_truncated_to_its_slash_48():
    assert truncate_ip("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"


def test_ip_hash_never_contains_the_ip_and_depends_on_the_secret():
    h = ip_hash("203.0.113.77", "k1")
    assert "203.0.113" not in h and len(h) == 64 and h != ip_hash("203.0.113.77", "k2")


def test_known_crawler_is_not_billable():
    c = classify("1.2.3.4", {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, "k")
    assert (c.billable, c.reason, c.ua_class) == (False, "bot", "bot")


def test_prefetch_is_not_billable():
    c = classify("1.2.3.4", {**BROWSER, "Sec-Purpose": "prefetch;prerender"}, "k")
    assert (c.billable, c.reason) == (False, "prefetch")


def test_browser_is_billable_desktop():
    c = classify("1.2.3.4", BROWSER, "k")
    assert (c.billable, c.reason, c.ua_class) == (True, "", "desktop")


@pytest.mark.parametrize(
    "event_type,model,expected",
    [("impression", "cpm", 0.002), ("click", "cpm", 0.0), ("click", "cpc", 2.0), ("impression", "flat", 0.0)],
)
def test_cost_follows_the_pricing_model(event_type, model, expected):
    assert cost_of(event_type, model, 2.0, True) == expected


def test_event_round_trips_through_json():
    e = Event("d1", "view", "c", "cr", "a", "p", "t", "v", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), 0.5, keywords=("x",))
    assert Event.from_json(e.to_json()) == e


def test_every_decision_is_one_stored_impression(client, services, example_catalog):
    for _ in range(3):
        decide(client)
    drain(services)
    assert counts(services.db) == {("impression", True): 3}


def test_impression_rollup_counts_it_once(client, services, example_catalog):
    decide(client)
    drain(services)
    assert rollup_totals(services.db)["impressions"] == 1


def test_stored_event_has_no_raw_ip(client, services, example_catalog):
    from adserver.storage import EventRow

    decide(client, ip="198.51.100.23")
    drain(services)
    with services.db.session() as s:
        row = s.query(EventRow).one()
    assert "198.51.100" not in repr(row.__dict__) and len(row.ip_hash) == 64


def test_replayed_batch_is_not_counted_twice(services):
    from adserver.jobs import persist_events

    e = Event("d1", "click", "c", "cr", "a", "p", "t", "v", datetime.now(UTC), cost=0.45)
    assert persist_events(services.db, [e]) == 1
    assert persist_events(services.db, [e, e]) == 0
    assert rollup_totals(services.db)["clicks"] == 1
