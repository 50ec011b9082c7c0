"""Events carry their page's site; rollups count by site; events queued before sites are taken as `default`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from adserver.events import reconcile, store
from adserver.events.reporting import ReportQuery, run_report
from adserver.infra import keys, storage
from tests.api.test_sites import NORTH, SOUTH, ask, sites_catalog, view_and_click
from tests.builders import ZAHID, rollup, zahid_event


def test_rollups_by_site_add_up_to_the_totals_and_reconcile_stays_equal(client, db, services, persist, load_catalog):
    load_catalog(sites_catalog(NORTH, SOUTH))
    for origin, site in [
        ("https://north.example", "regional-north"),
        ("https://www.north.example", "regional-north"),
        ("https://south.example", "south"),
        ("https://evil.example", "south"),  # south's id, not its page: counted under south, apart
        ("https://evil.example", "nowhere"),
    ]:
        view_and_click(client, ask(client, origin, site))
    assert persist() == 15
    today = datetime.now(UTC).date()
    by_site = run_report(db, ReportQuery(today, today, ("site",), ZAHID))
    rows = {r["site"]: r for r in by_site.rows}
    assert {s: (r["impressions"], r["clicks"], r["unknown_origin_impressions"]) for s, r in rows.items()} == {
        "regional-north": (2, 2, 0),
        "south": (1, 1, 1),
        "unknown": (0, 0, 1),
    }
    total = run_report(db, ReportQuery(today, today, (), ZAHID)).totals
    for metric in ("impressions", "viewable_impressions", "clicks", "spend", "unknown_origin_views"):
        assert sum(r[metric] for r in by_site.rows) == total[metric] == by_site.totals[metric]
    assert total["impressions"] == 3 and total["unknown_origin_clicks"] == 2
    assert rollup(db)["nb_impressions"] == 2  # unknown pages are in the "not billed" columns too
    assert reconcile.differences(db, services.redis, today, services.keys) == []  # raw, rollups and Redis agree


def test_an_event_queued_before_sites_is_stored_as_the_default_sites(services, db, persist, example_catalog):
    before = json.loads(zahid_event("a" * 32).to_json())
    del before["site"]  # as a web process of the previous release queued it
    services.redis.rpush(keys.INCOMING, json.dumps(before))
    newer = json.loads(zahid_event("b" * 32).to_json()) | {"site": "south", "added_later": 1}  # and of a later one
    services.redis.rpush(keys.INCOMING, json.dumps(newer))
    assert persist() == 2
    with db.sessionmaker() as s:
        assert sorted(s.execute(select(storage.Event.decision_id, storage.Event.site)).all()) == [
            ("a" * 32, "default"),
            ("b" * 32, "south"),
        ]
        assert sorted(s.scalars(select(storage.DailyRollup.site))) == ["default", "south"]


def test_a_refused_beacon_counted_before_sites_folds_into_the_default_site(services, db, example_catalog):
    day = date.today().isoformat()
    field = json.dumps([day, "zahid-ai-side-projects", "zahid-agents-card", "article-footer", "ai", "DE", "mobile",
                        "view"])  # fmt: skip
    services.redis.hset(services.keys.rate_limited(services.keys.shard("zahid-ai-side-projects")), field, 4)
    assert store.fold_rate_limited(services.redis, db, services.keys) == 4
    with db.sessionmaker() as s:
        row = s.execute(select(storage.DailyRollup.site, storage.DailyRollup.rate_limited_views)).one()
    assert tuple(row) == ("default", 4)
