"""Learning from clicks: counts move the ranking, exploration tries new campaigns, rollups feed counts."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from adserver.model.feedback import MemoryClickStats, RollupClickStats
from adserver.model.ranker import ModelRanker
from adserver.model.train import fit
from adserver.serving.context import ArticleContext
from adserver.serving.snapshot import CatalogSnapshot
from tests.builders import topical_campaign as campaign


@pytest.fixture(scope="module")
def twins():
    """Two sport campaigns that read the same to the model; only clicks can tell them apart."""
    snap = CatalogSnapshot.build(1, (campaign("a", ["sport"], ["football"]), campaign("b", ["sport"], ["football"])))
    return snap, fit(snap.campaigns).model


ARTICLE = ArticleContext.create("article-footer", title="Football cup final", topic="sport")


def winners(ranker, snap, n=300) -> Counter:
    return Counter(ranker.rank(ARTICLE, snap.campaigns, snap)[0].campaign.id for _ in range(n))


def test_without_click_counts_the_ranking_is_deterministic(twins):
    snap, model = twins
    assert winners(ModelRanker(model, click_stats=MemoryClickStats()), snap) == {"a": 300}


def test_campaign_with_more_clicks_wins_most_decisions(twins):
    snap, model = twins
    stats = MemoryClickStats()
    stats.add("sport", "a", impressions=5000, clicks=25)
    stats.add("sport", "b", impressions=5000, clicks=150)
    won = winners(ModelRanker(model, click_stats=stats, seed=1), snap)
    assert won["b"] > 0.95 * 300


def test_new_campaign_gets_a_fair_trial_instead_of_starving(twins):
    snap, model = twins
    stats = MemoryClickStats()
    stats.add("sport", "a", impressions=5000, clicks=100)  # b has never been shown
    won = winners(ModelRanker(model, click_stats=stats, seed=2), snap, n=500)
    assert 25 < won["b"] < 475


def test_ctr_term_is_explained_in_words(twins):
    snap, model = twins
    stats = MemoryClickStats()
    stats.add("sport", "a", impressions=1000, clicks=30)
    best = ModelRanker(model, click_stats=stats, seed=3).rank(ARTICLE, snap.campaigns, snap)[0]
    assert "ctr" in best.parts
    assert any(r.startswith("CTR term") and "impressions on 'sport'" in r for r in best.reasons)


def rollup_db(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'rollups.sqlite3'}")
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE daily_rollups (day DATE, campaign_id TEXT, creative_id TEXT, placement TEXT, "
                "topic TEXT, impressions INTEGER, views INTEGER, clicks INTEGER, spend NUMERIC)"
            )
        )
    return engine


def test_rollup_click_stats_sum_impressions_and_clicks_per_topic_and_campaign(tmp_path):
    engine = rollup_db(tmp_path)
    today = date.today()
    with engine.begin() as c:
        for cr, imps, clicks in (("a1", 100, 3), ("a2", 50, 2)):
            c.execute(
                text("INSERT INTO daily_rollups VALUES (:d, 'a', :cr, 'article-footer', 'sport', :i, 0, :c, 0)"),
                {"d": today, "cr": cr, "i": imps, "c": clicks},
            )
    stats = RollupClickStats(engine, poll_seconds=0)
    assert stats.counts() == {("sport", "a"): (150, 5)}
    assert stats.version == 1


def test_missing_rollup_table_reads_as_no_counts(tmp_path):
    stats = RollupClickStats(create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), poll_seconds=0)
    assert stats.counts() == {}


def test_rollup_click_stats_read_the_migrated_daily_rollups_table(db):
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO daily_rollups (day, campaign_id, creative_id, placement, topic, impressions, views, "
                "clicks, nonbillable_impressions, nonbillable_views, nonbillable_clicks, spend) "
                "VALUES (:d, 'zahid-ai-side-projects', 'zahid-agents-card', 'article-footer', 'robotics', "
                "40, 20, 4, 0, 0, 0, 0)"
            ),
            {"d": date.today()},
        )
    stats = RollupClickStats(db.engine, poll_seconds=0)
    assert stats.counts() == {("robotics", "zahid-ai-side-projects"): (40, 4)}


def test_clicks_on_a_topic_less_article_are_counted_under_the_topic_the_model_reads(settings_overrides, tmp_path):
    """Decision and click over HTTP, events persisted to SQL, rollups read back by the serving ranker."""
    from urllib.parse import urlsplit

    from adserver import create_app
    from adserver.catalog.files import import_catalog, read_file
    from adserver.events import jobs
    from adserver.model import artifacts
    from adserver.model.evaluate import eval_catalog
    from tests.conftest import ROOT, _reset

    result = fit(eval_catalog().campaigns)
    artifacts.activate(tmp_path, artifacts.save(tmp_path, result.model, result.info, version="v1").name)
    app = create_app({**settings_overrides, "models_dir": str(tmp_path), "click_stats_poll_seconds": 0})
    svc = app.extensions["adserver"]
    try:
        _reset(svc.db)
        svc.redis.flushdb()
        import_catalog(svc.db, read_file(ROOT / "adserver" / "model" / "data" / "eval_catalog.yaml"))
        svc.catalog.refresh(force=True)
        client, ua = app.test_client(), {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
        article = {"title": "Striker scores twice as United win the league cup final"}  # no topic field
        body = client.post("/v1/decision", json={"placement": "article-footer", "article": article}, headers=ua)
        decision = body.get_json()
        assert decision["campaign"]["id"] == "eval-sport"
        assert client.get(urlsplit(decision["tracking"]["click_url"]).path, headers=ua).status_code == 302
        jobs.use(svc)
        assert jobs.persist_pending(batch="model-feedback") == 2
        with svc.db.engine.connect() as c:
            rows = c.execute(text("SELECT topic, impressions, clicks FROM daily_rollups")).all()
        assert [tuple(r) for r in rows] == [("sport", 1, 1)]
        svc.ranker.click_stats.refresh()
        assert svc.ranker.click_stats.counts() == {("sport", "eval-sport"): (1, 1)}
    finally:
        svc.close()
