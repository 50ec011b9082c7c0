"""The in-memory catalog snapshot and its refresh across processes."""

from __future__ import annotations

from pathlib import Path

from adserver.catalog.files import import_catalog, read_file, set_status
from adserver.catalog.store import CatalogHolder, campaign_from_row, load_snapshot
from adserver.infra.storage import Database
from adserver.serving.snapshot import CatalogSnapshot


def snapshot_from_file(path: Path, tmp_dir: Path | None = None) -> CatalogSnapshot:
    """Load a catalog file through a throwaway SQLite database: the same path the app takes."""
    import tempfile

    from adserver.infra.migrate import upgrade

    d = Path(tmp_dir or tempfile.mkdtemp())
    db = Database(f"sqlite:///{d / 'snap.sqlite3'}")
    upgrade(db)
    import_catalog(db, read_file(path))
    snap = load_snapshot(db)
    db.dispose()
    return snap


def test_snapshot_holds_every_campaign_and_creative(db, example_catalog):
    snap = load_snapshot(db)
    assert "zahid-ai-side-projects" in snap.by_id
    assert snap.creatives["zahid-agents-card"].campaign_id == "zahid-ai-side-projects"
    assert snap.version >= 1


def test_holder_refreshes_only_when_the_version_moves(db, example_catalog):
    holder = CatalogHolder(db, poll_seconds=0)
    first = holder.get()
    assert holder.refresh() is False and holder.get() is first
    set_status(db, "zahid-ai-side-projects", "paused")
    assert holder.refresh() is True
    assert holder.get().by_id["zahid-ai-side-projects"].status == "paused"


def test_background_poller_picks_up_a_change_made_elsewhere(db, example_catalog):
    import time

    holder = CatalogHolder(db, poll_seconds=0.05)
    assert holder.get().by_id["ledgerly-index-investing"].status == "active"
    set_status(db, "ledgerly-index-investing", "paused")  # as the CLI in another process would
    deadline = time.monotonic() + 5
    while holder.get().by_id["ledgerly-index-investing"].status != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    holder.stop()
    assert holder.get().by_id["ledgerly-index-investing"].status == "paused"


def test_campaign_from_row_normalises_topics(db, example_catalog):
    from adserver.infra import storage

    with db.sessionmaker() as s:
        row = s.get(storage.Campaign, "zahid-ai-side-projects")
        assert "artificial-intelligence" in campaign_from_row(row).targeting.topics


def test_a_creative_whose_stored_url_fails_todays_checks_is_not_served(db, example_catalog):
    """A URL stored before a check existed (old code folded `http://①②⑦.0.0.1/` to 127.0.0.1) never serves."""
    from adserver.infra import storage

    with db.session() as s:
        s.get(storage.Creative, "zahid-agents-card").image_url = "https://192.168.1.1/router.png"
    snap = load_snapshot(db)
    assert "zahid-agents-card" not in snap.creatives
    assert "zahid-ai-side-projects" in snap.by_id  # the campaign and its other cards stay
