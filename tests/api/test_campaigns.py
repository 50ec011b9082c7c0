"""Advertiser self-service (`/v1/campaigns`, `/v1/creatives`, `/v1/limits`): isolation, the catalog file's
validation, the operator's limits, going live through the catalog version, pausing, and the preview."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest

from adserver.catalog import api_tokens, review, self_service
from adserver.catalog.files import validate_catalog
from adserver.errors import CatalogError

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"}
HOSTILE = "<img src=x onerror=alert(1)>"


def creative(ident: str, title: str = "A card for readers", **kw) -> dict:
    return {
        "id": ident,
        "display_name": ident.split("-")[0].title(),
        "title": title,
        "cta": {"text": "Learn more", "url": f"https://{ident}.example/offer"},
        **kw,
    }


def campaign(ident: str, topic: str, **kw) -> dict:
    return {
        "id": ident,
        "name": f"{ident} campaign",
        "pricing": {"model": "cpm", "price": 2.0},
        "budget": {"total": 1000, "daily": 100},
        "targeting": {"topics": [topic]},
        "creatives": [creative(f"{ident}-card")],
        **kw,
    }


CATALOG = {
    "advertisers": [
        {"id": "alpha", "name": "Alpha", "campaigns": [campaign("alpha-main", "alpha-topic")]},
        {"id": "bravo", "name": "Bravo", "campaigns": [campaign("bravo-main", "bravo-topic")]},
    ]
}


@pytest.fixture
def catalog(load_catalog, db):
    load_catalog(copy.deepcopy(CATALOG))
    for adv in ("alpha", "bravo"):
        self_service.set_limits(db, adv, max_total_budget=5000, max_daily_budget=500, min_cpm=1, min_cpc=0.2)


@pytest.fixture
def alpha(db, catalog):
    return {"Authorization": f"Bearer {api_tokens.create(db, 'alpha')}"}


@pytest.fixture
def bravo(db, catalog):
    return {"Authorization": f"Bearer {api_tokens.create(db, 'bravo')}"}


@pytest.fixture
def operator(db, catalog):
    return {"Authorization": f"Bearer {api_tokens.create(db, None)}"}


def served(client, topic: str) -> str | None:
    """The creative a reader of an article about `topic` is shown (None: no card)."""
    r = client.get("/v1/decision", query_string={"topic": topic}, headers=BROWSER)
    return r.get_json()["card"]["creative_id"] if r.status_code == 200 else None


def error_fields(r) -> dict:
    return r.get_json()["error"]["fields"]


# --- isolation ----------------------------------------------------------------------------------------------


def test_an_advertiser_lists_only_its_own_campaigns(client, alpha):
    body = client.get("/v1/campaigns", headers=alpha).get_json()
    assert [c["id"] for c in body["campaigns"]] == ["alpha-main"]
    assert body["campaigns"][0]["creatives"][0]["id"] == "alpha-main-card"


def test_an_advertiser_naming_another_advertiser_still_sees_only_its_own(client, alpha):
    body = client.get("/v1/campaigns", query_string={"advertiser": "bravo"}, headers=alpha).get_json()
    assert [c["id"] for c in body["campaigns"]] == ["alpha-main"]


OTHERS = [
    ("GET", "/v1/campaigns/{c}", None),
    ("PATCH", "/v1/campaigns/{c}", {"name": "taken over"}),
    ("POST", "/v1/campaigns/{c}/pause", None),
    ("POST", "/v1/campaigns/{c}/resume", None),
    ("POST", "/v1/campaigns/{c}/creatives", creative("sneaky-card")),
    ("GET", "/v1/creatives/{k}", None),
    ("PATCH", "/v1/creatives/{k}", {"title": "taken over"}),
    ("POST", "/v1/creatives/{k}/pause", None),
    ("GET", "/v1/creatives/{k}/preview", None),
]


@pytest.mark.parametrize(("method", "url", "body"), OTHERS)
def test_another_advertisers_campaign_is_the_same_404_as_a_missing_one(client, alpha, method, url, body):
    theirs = client.open(url.format(c="bravo-main", k="bravo-main-card"), method=method, json=body, headers=alpha)
    missing = client.open(url.format(c="nope", k="nope"), method=method, json=body, headers=alpha)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["code"] == missing.get_json()["error"]["code"] == "not_found"


def test_another_advertisers_campaign_is_left_unchanged(client, alpha, bravo):
    client.patch("/v1/campaigns/bravo-main", json={"name": "taken over"}, headers=alpha)
    client.post("/v1/campaigns/bravo-main/pause", headers=alpha)
    theirs = client.get("/v1/campaigns/bravo-main", headers=bravo).get_json()
    assert (theirs["name"], theirs["status"]) == ("bravo-main campaign", "active")


def test_a_missing_token_is_401(client, catalog):
    assert client.get("/v1/campaigns").status_code == 401
    assert client.post("/v1/campaigns", json=campaign("x-main", "x")).status_code == 401


# --- changes go live through the catalog version -------------------------------------------------------------


def test_a_created_campaign_is_served_once_approved_and_the_catalog_version_moves(client, services, alpha):
    assert served(client, "charlie-topic") is None
    r = client.post("/v1/campaigns", json=campaign("alpha-second", "charlie-topic"), headers=alpha)
    assert r.status_code == 201
    assert r.get_json()["advertiser_id"] == "alpha"
    assert r.get_json()["review"] == {"state": "pending", "reason": None, "fields": ["new"]}
    assert served(client, "charlie-topic") is None  # waits for an operator
    version = services.db.catalog_version()
    review.approve(services.db, "alpha-second")
    assert services.db.catalog_version() == version + 1
    services.catalog.refresh()  # this process's poll
    assert served(client, "charlie-topic") == "alpha-second-card"


def test_another_process_serves_the_change_after_its_poll(client, app, settings_overrides, alpha):
    from adserver import create_app

    other = create_app(settings_overrides)  # a second web process, with its own snapshot
    other_svc = other.extensions["adserver"]
    try:
        before = other_svc.catalog.get().version
        client.patch("/v1/campaigns/alpha-main", json={"targeting": {"topics": ["charlie-topic"]}}, headers=alpha)
        review.approve(other_svc.db, "alpha-main")
        assert other_svc.catalog.get().version == before  # not yet: nothing reads SQL on the request path
        assert other_svc.catalog.refresh()  # its poller's step
        assert served(other.test_client(), "charlie-topic") == "alpha-main-card"
    finally:
        other_svc.close()


def test_a_paused_campaign_stops_serving_and_serves_again_when_resumed(client, alpha):
    assert served(client, "alpha-topic") == "alpha-main-card"
    r = client.post("/v1/campaigns/alpha-main/pause", headers=alpha)
    assert (r.status_code, r.get_json()["status"]) == (200, "paused")
    assert served(client, "alpha-topic") is None
    client.post("/v1/campaigns/alpha-main/resume", headers=alpha)
    assert served(client, "alpha-topic") == "alpha-main-card"


def test_a_paused_creative_is_never_shown_while_the_campaigns_others_are(client, services, alpha):
    client.post("/v1/campaigns/alpha-main/creatives", json=creative("alpha-other"), headers=alpha)
    review.approve(services.db, "alpha-other")
    services.catalog.refresh()
    r = client.post("/v1/creatives/alpha-main-card/pause", headers=alpha)
    assert (r.status_code, r.get_json()["status"]) == (200, "paused")
    assert {served(client, "alpha-topic") for _ in range(12)} == {"alpha-other"}
    client.post("/v1/creatives/alpha-other/pause", headers=alpha)
    assert served(client, "alpha-topic") is None  # no creative left to show
    client.post("/v1/creatives/alpha-main-card/resume", headers=alpha)
    assert served(client, "alpha-topic") == "alpha-main-card"


def test_a_click_on_a_card_served_before_its_creative_was_paused_still_reaches_the_landing_page(client, alpha):
    card = client.get("/v1/decision", query_string={"topic": "alpha-topic"}, headers=BROWSER).get_json()
    client.post("/v1/creatives/alpha-main-card/pause", headers=alpha)
    r = client.get(urlsplit(card["tracking"]["click_url"]).path, headers=BROWSER)
    assert r.status_code == 302
    assert r.headers["Location"] == "https://alpha-main-card.example/offer"


def test_a_merge_patch_changes_only_what_it_names_and_null_resets_a_field(client, alpha):
    client.patch("/v1/campaigns/alpha-main", json={"ends_on": "2030-01-31", "description": "Spring"}, headers=alpha)
    r = client.patch("/v1/campaigns/alpha-main", json={"ends_on": None, "budget": {"daily": 50}}, headers=alpha)
    body = r.get_json()
    assert r.status_code == 200
    assert (body["ends_on"], body["description"], body["budget"]) == (None, "Spring", {"total": 1000, "daily": 50})
    assert body["targeting"]["topics"] == ["alpha-topic"]


def test_a_creative_patch_changes_the_card_that_is_served_once_approved(client, services, alpha):
    r = client.patch(
        "/v1/creatives/alpha-main-card", json={"title": "New title", "hook": "Reading this?"}, headers=alpha
    )
    assert (r.status_code, r.get_json()["title"]) == (200, "New title")
    assert r.get_json()["review"] == {"state": "pending", "reason": None, "fields": ["hook", "title"]}
    card = client.get("/v1/decision", query_string={"topic": "alpha-topic"}, headers=BROWSER).get_json()["card"]
    assert card["title"] == "A card for readers"  # the approved version serves meanwhile
    review.approve(services.db, "alpha-main-card")
    services.catalog.refresh()
    card = client.get("/v1/decision", query_string={"topic": "alpha-topic"}, headers=BROWSER).get_json()["card"]
    assert (card["title"], card["hook"]) == ("New title", "Reading this?")


def test_the_operator_acts_for_any_advertiser_and_must_name_whom_it_creates_for(client, operator):
    everyone = client.get("/v1/campaigns", headers=operator).get_json()["campaigns"]
    assert {c["id"] for c in everyone} == {"alpha-main", "bravo-main"}
    unnamed = client.post("/v1/campaigns", json=campaign("bravo-two", "x"), headers=operator)
    assert unnamed.status_code == 422 and "advertiser" in error_fields(unnamed)
    named = client.post("/v1/campaigns?advertiser=bravo", json=campaign("bravo-two", "x"), headers=operator)
    assert (named.status_code, named.get_json()["advertiser_id"]) == (201, "bravo")
    assert client.post("/v1/campaigns/alpha-main/pause", headers=operator).get_json()["status"] == "paused"


# --- the catalog file's validation ---------------------------------------------------------------------------


def file_errors(camp: dict) -> dict:
    """What `adserver catalog import` says of the same campaign, by the same paths within the campaign."""
    prefix = "advertisers.0.campaigns.0."
    with pytest.raises(CatalogError) as e:
        validate_catalog({"advertisers": [{"id": "alpha", "name": "Alpha", "campaigns": [camp]}]})
    return {k.removeprefix(prefix): v for k, v in e.value.fields.items()}


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"pricing": {"model": "cpx", "price": 2}}, 400),
        ({"budget": {"total": 10, "daily": 20}}, 422),  # a rule across fields: the document cannot state it
        ({"starts_on": "2030-02-01", "ends_on": "2030-01-01"}, 422),
        ({"creatives": [creative("alpha-x", cta={"text": "Go", "url": "javascript:alert(1)"})]}, 400),
        ({"creatives": []}, 400),
        ({"targeting": {"topics": ["ai"], "colour": "red"}}, 400),
        ({"id": "Not A Slug"}, 400),
    ],
)
def test_a_new_campaign_is_validated_as_the_catalog_file_is(client, alpha, change, status):
    bad = campaign("alpha-new", "x") | change
    r = client.post("/v1/campaigns", json=bad, headers=alpha)
    assert r.status_code == status
    assert error_fields(r) == file_errors(bad)


def test_a_patch_is_validated_as_the_whole_campaign_with_the_fields_named(client, alpha):
    r = client.patch("/v1/campaigns/alpha-main", json={"budget": {"daily": 2000}, "pacing": "fast"}, headers=alpha)
    assert r.status_code == 400
    assert set(error_fields(r)) == {"budget.daily", "pacing"}


@pytest.mark.parametrize(
    ("patch", "field"),
    [({"creatives": []}, "creatives"), ({"id": "alpha-renamed"}, "id")],
)
def test_a_campaign_patch_cannot_replace_its_creatives_or_its_id(client, alpha, patch, field):
    r = client.patch("/v1/campaigns/alpha-main", json=patch, headers=alpha)
    assert r.status_code == 400 and field in error_fields(r)


def test_an_id_in_use_is_a_409_naming_it(client, alpha):
    r = client.post("/v1/campaigns", json=campaign("alpha-main", "x"), headers=alpha)
    assert (r.status_code, list(error_fields(r))) == (409, ["id", "creatives.0.id"])
    r = client.post("/v1/campaigns/alpha-main/creatives", json=creative("bravo-main-card"), headers=alpha)
    assert (r.status_code, list(error_fields(r))) == (409, ["id"])


def test_a_body_that_is_not_a_json_object_is_a_4xx(client, alpha):
    assert client.post("/v1/campaigns", data="name=x", headers=alpha).status_code == 415
    assert client.patch("/v1/campaigns/alpha-main", json=["name"], headers=alpha).status_code == 400
    assert client.post("/v1/campaigns", data="{", content_type="application/json", headers=alpha).status_code == 400


# --- what the operator allows -------------------------------------------------------------------------------


def test_a_budget_past_the_operators_cap_is_refused_naming_the_field(client, alpha):
    r = client.patch("/v1/campaigns/alpha-main", json={"budget": {"total": 5001}}, headers=alpha)
    assert r.status_code == 422
    assert error_fields(r) == {
        "budget.total": ["Your campaigns' total budgets may add up to 5000 EUR; this makes 5001."]
    }
    second = campaign("alpha-second", "x", budget={"total": 4500, "daily": 100})  # 1000 + 4500 > 5000
    r = client.post("/v1/campaigns", json=second, headers=alpha)
    assert r.status_code == 422 and list(error_fields(r)) == ["budget.total"]
    assert client.get("/v1/campaigns/alpha-main", headers=alpha).get_json()["budget"]["total"] == 1000


def test_a_campaign_without_a_budget_is_refused_when_budgets_are_capped(client, alpha):
    r = client.post(
        "/v1/campaigns", json=campaign("alpha-open", "x", budget={"total": None, "daily": 10}), headers=alpha
    )
    assert r.status_code == 422 and error_fields(r) == {"budget.total": ["Required: the operator caps your budgets."]}


def test_what_the_operator_set_above_the_cap_may_be_lowered_but_not_raised(client, services, load_catalog, alpha):
    big = copy.deepcopy(CATALOG)
    big["advertisers"][0]["campaigns"][0]["budget"] = {"total": 9000, "daily": 100}
    load_catalog(big)  # the operator's own import, past the advertiser's cap
    assert client.patch("/v1/campaigns/alpha-main", json={"name": "renamed"}, headers=alpha).status_code == 200
    assert client.patch("/v1/campaigns/alpha-main", json={"budget": {"total": 9500}}, headers=alpha).status_code == 422
    assert client.patch("/v1/campaigns/alpha-main", json={"budget": {"total": 8000}}, headers=alpha).status_code == 200


def test_without_limits_an_advertiser_can_raise_no_budget(client, db, alpha):
    self_service.set_limits(db, "alpha", max_total_budget=None)
    r = client.patch("/v1/campaigns/alpha-main", json={"budget": {"total": 1001}}, headers=alpha)
    assert r.status_code == 422 and "ask the operator" in error_fields(r)["budget.total"][0]
    assert client.post("/v1/campaigns/alpha-main/pause", headers=alpha).status_code == 200  # the rest still works


def test_a_price_under_the_operators_floor_is_refused(client, alpha):
    r = client.patch("/v1/campaigns/alpha-main", json={"pricing": {"model": "cpm", "price": 0.5}}, headers=alpha)
    assert r.status_code == 422 and error_fields(r) == {"pricing.price": ["At least 1 EUR for cpm."]}
    ok = client.patch("/v1/campaigns/alpha-main", json={"pricing": {"model": "cpc", "price": 0.25}}, headers=alpha)
    assert ok.status_code == 200 and ok.get_json()["pricing"] == {"model": "cpc", "price": 0.25}


@pytest.mark.parametrize("model", ["flat", "cpc"])
def test_a_pricing_model_without_a_floor_is_not_offered(client, db, alpha, model):
    self_service.set_limits(db, "alpha", min_cpc=None)
    r = client.patch("/v1/campaigns/alpha-main", json={"pricing": {"model": model, "price": 5}}, headers=alpha)
    assert r.status_code == 422 and list(error_fields(r)) == ["pricing.model"]


@pytest.mark.parametrize(("field", "value"), [("priority", 100), ("house", True)])
def test_priority_and_house_are_the_operators(client, alpha, field, value):
    r = client.patch("/v1/campaigns/alpha-main", json={field: value}, headers=alpha)
    assert r.status_code == 422 and error_fields(r) == {field: ["Set by the operator."]}
    r = client.post("/v1/campaigns", json=campaign("alpha-new", "x", **{field: value}), headers=alpha)
    assert r.status_code == 422 and list(error_fields(r)) == [field]


def test_an_archived_campaign_is_the_operators_to_bring_back(client, db, alpha):
    from adserver.catalog.files import set_status

    assert client.patch("/v1/campaigns/alpha-main", json={"status": "archived"}, headers=alpha).status_code == 422
    set_status(db, "alpha-main", "archived")
    r = client.post("/v1/campaigns/alpha-main/resume", headers=alpha)
    assert r.status_code == 422 and list(error_fields(r)) == ["status"]


def test_limits_are_readable_by_the_advertiser(client, alpha):
    body = client.get("/v1/limits", headers=alpha).get_json()
    assert body == {
        "advertiser_id": "alpha",
        "currency": "EUR",
        "max_total_budget": 5000.0,
        "max_daily_budget": 500.0,
        "min_cpm": 1.0,
        "min_cpc": 0.2,
        "min_relevance": 0.4,
        "max_keywords": 50,
    }


def test_the_cli_shows_and_sets_an_advertisers_limits(cli, client, db, alpha):
    r = cli("advertisers", "limits", "Alpha", "--max-total-budget", "20000", "--min-cpc", "none")
    assert r.exit_code == 0, r.output
    assert "20000 EUR" in r.output and "not allowed" in r.output
    assert self_service.get_limits(db, "alpha").max_total_budget == 20000
    assert client.patch("/v1/campaigns/alpha-main", json={"budget": {"total": 15000}}, headers=alpha).status_code == 200
    bad = cli("advertisers", "limits", "alpha", "--min-cpm", "-1")
    assert bad.exit_code != 0 and "0 or more" in bad.output


# --- every problem in one round -----------------------------------------------------------------------------


def test_a_bad_field_and_the_operators_limits_are_named_in_one_round(client, alpha):
    bad = campaign("alpha-new", "x", budget={"total": 9000, "daily": 100}, pricing={"model": "cpm", "price": 0.5})
    bad["targeting"] |= {"countries": ["Germany"], "keywords": ["the"]}
    r = client.post("/v1/campaigns", json=bad, headers=alpha)
    assert r.status_code == 400  # a shape error makes it a 400, whatever the rules say of the rest
    fields = error_fields(r)
    assert set(fields) == {"targeting.countries.0", "budget.total", "pricing.price", "targeting.keywords"}
    assert fields["budget.total"] == ["Your campaigns' total budgets may add up to 5000 EUR; this makes 10000."]
    assert client.get("/v1/campaigns/alpha-new", headers=alpha).status_code == 404  # nothing created


def test_a_patch_names_its_bad_field_and_its_refused_budget_together(client, alpha):
    r = client.patch(
        "/v1/campaigns/alpha-main",
        json={"pacing": "fast", "budget": {"daily": 600}, "frequency_cap": {"impressions": 0}},
        headers=alpha,
    )
    assert r.status_code == 400
    assert set(error_fields(r)) == {"pacing", "frequency_cap.impressions", "budget.daily"}


def test_rules_alone_refuse_with_a_422_naming_every_field(client, alpha):
    body = campaign("alpha-main", "x", budget={"total": 20, "daily": 30}, pricing={"model": "cpm", "price": 0.5})
    r = client.post("/v1/campaigns", json=body, headers=alpha)
    assert r.status_code == 422  # an id in use among rules' refusals: not a 409, which would hide them
    assert set(error_fields(r)) == {"id", "creatives.0.id", "budget.daily", "pricing.price"}


def test_a_rule_whose_field_is_malformed_is_not_checked_twice(client, alpha):
    body = campaign("alpha-new", "x", budget={"total": "lots", "daily": 10})
    r = client.post("/v1/campaigns", json=body, headers=alpha)
    assert (r.status_code, error_fields(r)) == (400, {"budget.total": ["Not a valid number."]})


# --- the relevance policy -----------------------------------------------------------------------------------


def test_keywords_that_match_nearly_every_article_are_refused_naming_them(client, alpha):
    body = campaign("alpha-everywhere", "x", targeting={"keywords": ["the", "a", "and", "of", "to", "in"]})
    r = client.post("/v1/campaigns", json=body, headers=alpha)
    assert r.status_code == 422
    (message,) = error_fields(r)["targeting.keywords"]
    assert "the, a, and, of, to, in" in message


def test_keywords_that_say_what_an_article_is_about_are_accepted(client, alpha):
    body = campaign("alpha-pasta", "x", targeting={"topics": ["food"], "keywords": ["pasta", "carbonara", "new york"]})
    assert client.post("/v1/campaigns", json=body, headers=alpha).status_code == 201


def test_a_relevance_floor_under_the_operators_is_refused(client, alpha):
    loose = campaign("alpha-loose", "x", targeting={"topics": ["sport"], "min_relevance": 0})
    r = client.post("/v1/campaigns", json=loose, headers=alpha)
    assert r.status_code == 422 and "At least 0.4" in error_fields(r)["targeting.min_relevance"][0]
    r = client.patch("/v1/campaigns/alpha-main", json={"targeting": {"min_relevance": 0.1}}, headers=alpha)
    assert r.status_code == 422 and "targeting.min_relevance" in error_fields(r)
    r = client.patch("/v1/campaigns/alpha-main", json={"targeting": {"min_relevance": 0.6}}, headers=alpha)
    assert r.status_code == 200


def test_run_of_site_is_the_operators(client, alpha):
    r = client.post("/v1/campaigns", json=campaign("alpha-ros", "x", targeting={}), headers=alpha)
    assert r.status_code == 422 and "run of site" in error_fields(r)["targeting"][0]
    r = client.patch("/v1/campaigns/alpha-main", json={"targeting": {"topics": None}}, headers=alpha)
    assert r.status_code == 422 and "targeting" in error_fields(r)


def test_at_most_fifty_keywords(client, alpha):
    words = [f"keyword{i}" for i in range(51)]
    r = client.post("/v1/campaigns", json=campaign("alpha-many", "x", targeting={"keywords": words}), headers=alpha)
    assert r.status_code == 422 and "At most 50 keywords" in error_fields(r)["targeting.keywords"][0]


def test_what_the_operator_set_outside_the_policy_stays_while_other_fields_change(client, load_catalog, db, alpha):
    data = copy.deepcopy(CATALOG)
    data["advertisers"][0]["campaigns"][0]["targeting"] = {"keywords": ["the"], "min_relevance": 0}
    load_catalog(data)
    r = client.patch("/v1/campaigns/alpha-main", json={"name": "Renamed", "budget": {"daily": 50}}, headers=alpha)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["targeting"]["min_relevance"] == 0


def test_the_operator_lowers_one_advertisers_floor_with_the_cli(cli, client, alpha):
    loose = {"targeting": {"topics": ["alpha-topic"], "min_relevance": 0.2}}
    assert client.patch("/v1/campaigns/alpha-main", json=loose, headers=alpha).status_code == 422
    r = cli("advertisers", "limits", "alpha", "--min-relevance", "0.15")
    assert r.exit_code == 0, r.output
    assert "0.15" in r.output
    assert client.get("/v1/limits", headers=alpha).get_json()["min_relevance"] == 0.15
    assert client.patch("/v1/campaigns/alpha-main", json=loose, headers=alpha).status_code == 200
    r = cli("advertisers", "limits", "alpha", "--min-relevance", "none")
    assert "0.4 (the default)" in r.output
    assert cli("advertisers", "limits", "alpha", "--min-relevance", "2").exit_code != 0


# --- preview ------------------------------------------------------------------------------------------------


def test_the_preview_renders_the_card_escaped_and_counts_nothing(client, services, alpha):
    client.patch("/v1/creatives/alpha-main-card", json={"title": HOSTILE}, headers=alpha)
    before = services.redis.dbsize()
    r = client.get("/v1/creatives/alpha-main-card/preview", headers=alpha)
    assert r.status_code == 200
    html = r.get_json()["html"]
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="https://alpha-main-card.example/offer"' in html  # no tracking URL: nothing to count
    assert services.redis.dbsize() == before  # no impression, no budget, no event


def test_the_preview_shows_the_hook_written_for_a_topic(client, alpha):
    client.patch(
        "/v1/creatives/alpha-main-card",
        json={"hook": "Default hook", "hook_variants": {"politics": "Reading politics?"}},
        headers=alpha,
    )
    card = client.get("/v1/creatives/alpha-main-card/preview?topic=politics", headers=alpha).get_json()["card"]
    assert card["hook"] == "Reading politics?"
    card = client.get("/v1/creatives/alpha-main-card/preview", headers=alpha).get_json()["card"]
    assert card["hook"] == "Default hook"


# --- how much one token may do ------------------------------------------------------------------------------


def test_an_advertisers_token_may_make_a_limited_number_of_changes_a_minute(client, alpha, operator):
    from adserver.api.campaigns import WRITES_PER_MINUTE

    for _ in range(WRITES_PER_MINUTE):
        assert client.post("/v1/campaigns/alpha-main/pause", headers=alpha).status_code == 200
    refused = client.post("/v1/campaigns/alpha-main/resume", headers=alpha)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert client.get("/v1/campaigns/alpha-main", headers=alpha).get_json()["status"] == "paused"  # reads still work
    assert client.post("/v1/campaigns/alpha-main/resume", headers=operator).status_code == 200  # operators are not held


def test_a_campaign_holds_a_limited_number_of_creatives(client, alpha):
    from adserver.catalog.self_service import MAX_CREATIVES

    too_many = campaign("alpha-big", "x", creatives=[creative(f"alpha-big-{i}") for i in range(MAX_CREATIVES + 1)])
    r = client.post("/v1/campaigns", json=too_many, headers=alpha)
    assert r.status_code == 422 and list(error_fields(r)) == ["creatives"]
    for i in range(MAX_CREATIVES - 1):  # the campaign has one already
        assert (
            client.post("/v1/campaigns/alpha-main/creatives", json=creative(f"alpha-k{i}"), headers=alpha).status_code
            == 201
        )
    r = client.post("/v1/campaigns/alpha-main/creatives", json=creative("alpha-one-more"), headers=alpha)
    assert r.status_code == 422 and "At most 20 creatives per campaign" in r.get_json()["error"]["message"]


def test_concurrent_changes_of_one_advertiser_never_add_up_past_its_cap(app, alpha):
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> int:  # alpha-main has 1000 of the 5000 allowed: room for four more of 1000
        return app.test_client().post("/v1/campaigns", json=campaign(f"alpha-c{i}", "x"), headers=alpha).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(create, range(8)))
    assert sorted(codes) == [201] * 4 + [422] * 4


def test_concurrent_creations_of_one_id_are_one_201_and_409s(app, alpha):
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> int:
        body = campaign("alpha-same", "x", budget={"total": 10, "daily": 1})
        body["creatives"] = [creative(f"alpha-same-{i}")]
        return app.test_client().post("/v1/campaigns", json=body, headers=alpha).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(create, range(6)))
    assert sorted(codes) == [201] + [409] * 5


def test_an_id_that_cannot_be_one_is_a_404_on_both_databases(client, alpha):
    """A NUL byte never reaches SQL (PostgreSQL refuses it with an error, not an empty answer)."""
    for path in ("/v1/campaigns/a%00b", "/v1/creatives/a%00b", "/v1/creatives/a%00b/preview"):
        assert client.get(path, headers=alpha).status_code == 404
    assert client.get("/v1/campaigns?advertiser=a%00b", headers=alpha).status_code == 400


# --- the preview of a creative being typed -------------------------------------------------------------------


def test_a_draft_previews_as_the_card_escaped_with_its_topics_hook_and_counts_nothing(client, services, alpha):
    before = services.redis.dbsize()
    draft = creative("anything", title=HOSTILE, hook="Default", hook_variants={"politics": "Reading politics?"})
    r = client.post("/v1/preview?topic=politics", json=draft | {"id": "Not A Slug Yet"}, headers=alpha)
    assert r.status_code == 200
    body = r.get_json()
    assert body["card"]["hook"] == "Reading politics?" and body["card"]["title"] == HOSTILE
    assert HOSTILE not in body["html"] and "&lt;img src=x onerror=alert(1)&gt;" in body["html"]
    assert services.redis.dbsize() == before
    assert client.get("/v1/campaigns", headers=alpha).get_json()["campaigns"][0]["creatives"][0]["id"] != "preview"


def test_a_draft_with_a_bad_field_is_a_400_naming_it_and_needs_a_token(client, alpha):
    bad = creative("x", cta={"text": "Go", "url": "javascript:alert(1)"})
    r = client.post("/v1/preview", json=bad, headers=alpha)
    assert r.status_code == 400 and list(error_fields(r)) == ["cta.url"]
    assert client.post("/v1/preview", json=creative("x")).status_code == 401


# --- delivery at a glance ------------------------------------------------------------------------------------


@pytest.fixture
def delivered(db, catalog):
    """Rollups of alpha's card today, 3 and 20 days ago, and bravo's today; the UTC day they count from."""
    from datetime import UTC, datetime, timedelta

    from tests.builders import rollup_row

    today = datetime.now(UTC).date()
    with db.session() as s:
        s.add_all(
            [
                rollup_row(today, "alpha-main", 100, 60, 4, "0.2", creative="alpha-main-card"),
                rollup_row(today, "alpha-main", 50, 10, 1, "0.1", creative="alpha-main-card", topic="sport"),
                rollup_row(today - timedelta(days=3), "alpha-main", 200, 150, 2, "0.4", creative="alpha-main-card"),
                rollup_row(today - timedelta(days=20), "alpha-main", 1000, 500, 10, "2", creative="alpha-main-card"),
                rollup_row(today, "bravo-main", 7777, 7777, 77, "77", creative="bravo-main-card"),
            ]
        )
    return today


def test_delivery_is_the_rollups_per_period_for_the_advertisers_own_campaigns_only(client, db, alpha, delivered):
    from datetime import timedelta

    from adserver.events.reporting import ReportQuery, run_report

    body = client.get("/v1/delivery?advertiser=bravo", headers=alpha).get_json()
    assert (body["advertiser_id"], body["currency"], body["day"]) == ("alpha", "EUR", delivered.isoformat())
    (main,) = body["campaigns"]
    assert main["campaign_id"] == "alpha-main" and main["budget"] == {"total": 1000, "daily": 100}
    assert main["today"] == {
        "impressions": 150,
        "viewable_impressions": 70,
        "view_rate": round(70 / 150, 4),
        "clicks": 5,
        "ctr": round(5 / 150, 4),
        "spend": 0.3,
    }
    week = run_report(db, ReportQuery(delivered - timedelta(days=6), delivered, (), "alpha")).totals
    assert main["last_7_days"] == {k: week[k] for k in main["last_7_days"]}
    assert (main["total"]["impressions"], main["total"]["spend"]) == (1350, 2.7)
    assert main["creatives"] == [{"creative_id": "alpha-main-card", **{p: main[p] for p in main if p in PERIODS}}]


PERIODS = ("today", "last_7_days", "total")


def test_delivery_says_where_each_campaign_stands(client, services, alpha, delivered):
    from datetime import UTC, datetime

    client.post("/v1/campaigns", json=campaign("alpha-new", "x", budget={"total": 100, "daily": 10}), headers=alpha)
    states = {
        c["campaign_id"]: c["state_text"] for c in client.get("/v1/delivery", headers=alpha).get_json()["campaigns"]
    }
    assert states["alpha-new"] == "waiting for review"
    day = datetime.now(UTC).date().isoformat()
    services.redis.set(services.keys.spend("alpha-main", day)[1], 100 * 1_000_000)  # today's budget, booked
    got = client.get("/v1/delivery", headers=alpha).get_json()["campaigns"][0]
    assert (got["state"], got["state_text"]) == ("daily_budget_reached", "daily budget reached")
    client.post("/v1/campaigns/alpha-main/pause", headers=alpha)
    assert client.get("/v1/delivery", headers=alpha).get_json()["campaigns"][0]["state_text"] == "paused"


def test_the_operator_names_whose_delivery_it_reads(client, operator, delivered):
    assert client.get("/v1/delivery", headers=operator).status_code == 422
    body = client.get("/v1/delivery?advertiser=bravo", headers=operator).get_json()
    assert [c["campaign_id"] for c in body["campaigns"]] == ["bravo-main"]
    assert body["campaigns"][0]["today"]["impressions"] == 7777
