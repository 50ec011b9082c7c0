"""Review before serving (`catalog.review`): an advertiser's own change to what readers see waits for an
operator; the approved version serves meanwhile; pausing and budgets apply at once."""

from __future__ import annotations

import copy

import pytest

from adserver.catalog import api_tokens, review, self_service
from adserver.errors import CatalogError
from tests.api.test_campaigns import BROWSER, CATALOG, campaign, creative


@pytest.fixture
def alpha(load_catalog, db):
    load_catalog(copy.deepcopy(CATALOG))
    self_service.set_limits(db, "alpha", max_total_budget=5000, max_daily_budget=500, min_cpm=1, min_cpc=0.2)
    return {"Authorization": f"Bearer {api_tokens.create(db, 'alpha')}"}


def card(client, services, topic: str) -> dict | None:
    """The card a reader of an article about `topic` is shown, after this process's catalog poll."""
    services.catalog.refresh()
    r = client.get("/v1/decision", query_string={"topic": topic}, headers=BROWSER)
    return r.get_json()["card"] if r.status_code == 200 else None


def test_a_new_campaign_serves_only_once_an_operator_approves_it(client, services, alpha):
    r = client.post("/v1/campaigns", json=campaign("alpha-new", "new-topic"), headers=alpha)
    assert r.status_code == 201
    assert [(c["id"], c["review"]["state"]) for c in r.get_json()["creatives"]] == [("alpha-new-card", "pending")]
    assert card(client, services, "new-topic") is None
    assert [(i["kind"], i["id"], i["what"]) for i in review.waiting(services.db)] == [
        ("campaign", "alpha-new", "new"),
        ("creative", "alpha-new-card", "new"),
    ]
    assert review.approve(services.db, "alpha-new") == ["alpha-new", "alpha-new-card"]  # with its creatives
    assert card(client, services, "new-topic")["creative_id"] == "alpha-new-card"
    assert review.waiting(services.db) == []
    assert client.get("/v1/campaigns/alpha-new", headers=alpha).get_json()["review"]["state"] == "approved"


def test_a_targeting_change_waits_while_the_approved_targeting_serves(client, services, alpha):
    r = client.patch("/v1/campaigns/alpha-main", json={"targeting": {"topics": ["other-topic"]}}, headers=alpha)
    body = r.get_json()
    assert (body["targeting"]["topics"], body["review"]["fields"]) == (["other-topic"], ["targeting"])
    assert card(client, services, "alpha-topic")["creative_id"] == "alpha-main-card"
    assert card(client, services, "other-topic") is None
    review.approve(services.db, "alpha-main")
    assert card(client, services, "alpha-topic") is None
    assert card(client, services, "other-topic")["creative_id"] == "alpha-main-card"


def test_budgets_and_pausing_apply_at_once_while_a_change_waits(client, services, alpha):
    client.patch("/v1/campaigns/alpha-main", json={"targeting": {"topics": ["other-topic"]}}, headers=alpha)
    r = client.patch("/v1/campaigns/alpha-main", json={"budget": {"daily": 50}}, headers=alpha)
    assert r.get_json()["review"]["fields"] == ["targeting"]  # still waiting
    services.catalog.refresh()
    assert services.catalog.get().by_id["alpha-main"].daily_budget == 50
    client.post("/v1/campaigns/alpha-main/pause", headers=alpha)
    assert card(client, services, "alpha-topic") is None
    client.post("/v1/campaigns/alpha-main/resume", headers=alpha)
    assert card(client, services, "alpha-topic")["creative_id"] == "alpha-main-card"


def test_a_rejection_reaches_the_advertiser_and_a_new_proposal_clears_it(client, services, alpha):
    client.patch("/v1/creatives/alpha-main-card", json={"title": "Best in the world, guaranteed"}, headers=alpha)
    review.reject(services.db, "alpha-main-card", "Claims we cannot check: say what it does.")
    got = client.get("/v1/creatives/alpha-main-card", headers=alpha).get_json()
    assert got["review"] == {"state": "rejected", "reason": "Claims we cannot check: say what it does.", "fields": []}
    assert got["title"] == "A card for readers"  # the proposal is gone; the approved card is what it edits
    assert card(client, services, "alpha-topic")["title"] == "A card for readers"
    r = client.patch("/v1/creatives/alpha-main-card", json={"title": "Ledgers for small firms"}, headers=alpha)
    assert r.get_json()["review"] == {"state": "pending", "reason": None, "fields": ["title"]}


def test_a_rejected_new_campaign_never_serves(client, services, alpha):
    client.post("/v1/campaigns", json=campaign("alpha-no", "no-topic"), headers=alpha)
    review.reject(services.db, "alpha-no", "Not a product we carry.")
    assert card(client, services, "no-topic") is None
    assert client.get("/v1/campaigns/alpha-no", headers=alpha).get_json()["review"]["state"] == "rejected"
    with pytest.raises(CatalogError):
        review.approve(services.db, "alpha-no")  # nothing waits until the advertiser proposes again


def test_a_rejected_new_campaign_is_proposed_again_by_an_edit_of_it_or_its_card(client, services, alpha):
    client.post("/v1/campaigns", json=campaign("alpha-again", "again-topic"), headers=alpha)
    review.reject(services.db, "alpha-again", "The card promises too much.")
    got = client.get("/v1/campaigns/alpha-again", headers=alpha).get_json()
    assert [c["review"]["state"] for c in got["creatives"]] == ["rejected"]
    client.patch("/v1/creatives/alpha-again-card", json={"title": "A plainer promise"}, headers=alpha)
    assert client.get("/v1/campaigns/alpha-again", headers=alpha).get_json()["review"]["state"] == "pending"
    assert review.approve(services.db, "alpha-again") == ["alpha-again", "alpha-again-card"]
    assert card(client, services, "again-topic")["title"] == "A plainer promise"


def test_a_trusted_advertisers_changes_serve_as_they_are_made(cli, client, services, alpha):
    assert cli("advertisers", "trust", "alpha").exit_code == 0
    client.post("/v1/campaigns", json=campaign("alpha-fast", "fast-topic"), headers=alpha)
    assert card(client, services, "fast-topic")["creative_id"] == "alpha-fast-card"
    r = client.patch("/v1/creatives/alpha-fast-card", json={"title": "Changed"}, headers=alpha)
    assert r.get_json()["review"]["state"] == "approved"
    assert card(client, services, "fast-topic")["title"] == "Changed"
    assert cli("advertisers", "trust", "alpha", "--no").exit_code == 0
    client.patch("/v1/creatives/alpha-fast-card", json={"title": "Changed again"}, headers=alpha)
    assert card(client, services, "fast-topic")["title"] == "Changed"


def test_the_preview_shows_what_waits_for_review(client, alpha):
    client.patch("/v1/creatives/alpha-main-card", json={"title": "Proposed title"}, headers=alpha)
    html = client.get("/v1/creatives/alpha-main-card/preview", headers=alpha).get_json()["html"]
    assert "Proposed title" in html


def test_a_document_sent_back_as_it_was_read_is_accepted(client, alpha):
    got = client.get("/v1/campaigns/alpha-main", headers=alpha).get_json()
    got.pop("creatives")
    assert client.patch("/v1/campaigns/alpha-main", json=got, headers=alpha).status_code == 200
    new = client.get("/v1/campaigns/alpha-main", headers=alpha).get_json() | {"id": "alpha-copy"}
    for i, cr in enumerate(new["creatives"]):
        cr["id"] = f"alpha-copy-{i}"
    assert client.post("/v1/campaigns", json=new, headers=alpha).status_code == 201


def test_the_cli_lists_shows_approves_and_rejects(cli, client, alpha):
    client.patch("/v1/campaigns/alpha-main", json={"targeting": {"keywords": ["ledgers"]}}, headers=alpha)
    client.post("/v1/campaigns/alpha-main/creatives", json=creative("alpha-extra"), headers=alpha)
    listed = cli("review", "list")
    assert listed.exit_code == 0
    assert "alpha-main" in listed.output and "targeting" in listed.output and "alpha-extra" in listed.output
    shown = cli("review", "show", "alpha-main")
    assert '"proposed"' in shown.output and "ledgers" in shown.output
    assert "approved alpha-main, alpha-extra" in cli("review", "approve", "alpha-main").output
    client.patch("/v1/creatives/alpha-extra", json={"title": "Again"}, headers=alpha)
    assert cli("review", "reject", "alpha-extra").exit_code != 0  # a reason is required
    assert cli("review", "reject", "alpha-extra", "--reason", "Say what it is.").exit_code == 0
    assert "nothing waits for review" in cli("review", "list").output
