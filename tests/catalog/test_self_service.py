"""Self-service changes (`catalog.self_service`) against a real database: a create only ever inserts."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from adserver.catalog import api_tokens, self_service
from adserver.errors import Conflict
from tests.api.test_campaigns import CATALOG, campaign, creative


@pytest.fixture
def two_advertisers(load_catalog, db):
    load_catalog(copy.deepcopy(CATALOG))
    for adv in ("alpha", "bravo"):
        self_service.set_limits(db, adv, max_total_budget=5000, max_daily_budget=500, min_cpm=1, min_cpc=0.2)
    return {adv: {"Authorization": f"Bearer {api_tokens.create(db, adv)}"} for adv in ("alpha", "bravo")}


def test_two_advertisers_racing_for_one_campaign_id_get_one_201_and_one_409(app, two_advertisers):
    """Real concurrent requests, released together, round after round: the id goes to one of them, whole."""
    for round_ in range(12):
        ident = f"race-{round_}"
        start = threading.Barrier(2)

        def create(adv: str, ident=ident, start=start) -> int:
            body = campaign(ident, "x", budget={"total": 10, "daily": 1})
            body["creatives"] = [creative(f"{ident}-{adv}")]
            client = app.test_client()
            start.wait()
            return client.post("/v1/campaigns", json=body, headers=two_advertisers[adv]).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = dict(zip(("alpha", "bravo"), pool.map(create, ("alpha", "bravo")), strict=True))
        assert sorted(codes.values()) == [201, 409], codes
        winner = next(adv for adv, code in codes.items() if code == 201)
        loser = "bravo" if winner == "alpha" else "alpha"
        client = app.test_client()
        mine = client.get(f"/v1/campaigns/{ident}", headers=two_advertisers[winner])
        assert mine.status_code == 200
        assert [c["id"] for c in mine.get_json()["creatives"]] == [f"{ident}-{winner}"]
        assert client.get(f"/v1/campaigns/{ident}", headers=two_advertisers[loser]).status_code == 404
        assert client.get(f"/v1/creatives/{ident}-{loser}", headers=two_advertisers[loser]).status_code == 404


def _interleaved(monkeypatch, db, other) -> None:
    """Run `other` (another advertiser's change, committed) between a create's id check and its write."""
    check, ran = self_service._taken, []

    def check_then_other(*args, **kwargs):
        taken = check(*args, **kwargs)
        if not ran:
            ran.append(True)
            t = threading.Thread(target=other)
            t.start()
            t.join()
        return taken

    monkeypatch.setattr(self_service, "_taken", check_then_other)


def test_a_campaign_id_taken_between_the_check_and_the_write_is_a_409_not_a_takeover(monkeypatch, db, two_advertisers):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises changes (BEGIN IMMEDIATE): no other change can commit in between")
    body = campaign("taken-meanwhile", "x", budget={"total": 10, "daily": 1})
    bravos = copy.deepcopy(body) | {"creatives": [creative("taken-meanwhile-bravo")]}
    _interleaved(monkeypatch, db, lambda: self_service.create_campaign(db, "bravo", bravos))
    body["creatives"] = [creative("taken-meanwhile-alpha")]
    with pytest.raises(Conflict):
        self_service.create_campaign(db, "alpha", body)
    got = self_service.get_campaign(db, "bravo", "taken-meanwhile")
    assert got["advertiser_id"] == "bravo"
    assert [c["id"] for c in got["creatives"]] == ["taken-meanwhile-bravo"]


def test_a_creative_id_taken_between_the_check_and_the_write_is_a_409(monkeypatch, db, two_advertisers):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises changes (BEGIN IMMEDIATE): no other change can commit in between")
    theirs = campaign("bravo-new", "x", budget={"total": 10, "daily": 1})
    theirs["creatives"] = [creative("shared-card")]
    _interleaved(monkeypatch, db, lambda: self_service.create_campaign(db, "bravo", theirs))
    mine = campaign("alpha-new", "x", budget={"total": 10, "daily": 1}, creatives=[creative("shared-card")])
    with pytest.raises(Conflict):
        self_service.create_campaign(db, "alpha", mine)
    assert self_service.get_creative(db, "bravo", "shared-card")["campaign_id"] == "bravo-new"


def test_a_creative_added_under_an_id_taken_meanwhile_is_a_409(monkeypatch, db, two_advertisers):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises changes (BEGIN IMMEDIATE): no other change can commit in between")
    theirs = campaign("bravo-other", "x", budget={"total": 10, "daily": 1})
    theirs["creatives"] = [creative("wanted-card")]
    _interleaved(monkeypatch, db, lambda: self_service.create_campaign(db, "bravo", theirs))
    with pytest.raises(Conflict):
        self_service.create_creative(db, "alpha", "alpha-main", creative("wanted-card"))
    assert self_service.get_creative(db, "bravo", "wanted-card")["campaign_id"] == "bravo-other"
