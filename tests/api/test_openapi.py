"""Fuzz the API from its own OpenAPI document: no 5xx, every response as documented, and every request the
document calls valid is taken (2xx), or refused for a reason the document names: 401/403/404/409/429, or 422
for what depends on this deployment's policy, the advertiser's limits, or a rule across fields.

Drives schemathesis' strategies with hypothesis directly (its pytest plugin does not support pytest 9 yet),
one test per operation, with an advertiser's token and with an operator's.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.builders import recorded_decisions

OPERATIONS = [
    ("POST", "/v1/decision"),
    ("GET", "/v1/decision"),
    ("GET", "/v1/decisions"),
    ("GET", "/v1/advertisers"),
    ("GET", "/t/view/{token}"),
    ("POST", "/t/view/{token}"),
    ("GET", "/t/click/{token}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]
# Advertiser self-service, fuzzed with an advertiser's token (without one every answer is the same 401).
SELF_SERVICE = [
    ("GET", "/v1/campaigns"),
    ("POST", "/v1/campaigns"),
    ("GET", "/v1/campaigns/{campaign_id}"),
    ("PATCH", "/v1/campaigns/{campaign_id}"),
    ("POST", "/v1/campaigns/{campaign_id}/pause"),
    ("POST", "/v1/campaigns/{campaign_id}/resume"),
    ("POST", "/v1/campaigns/{campaign_id}/creatives"),
    ("GET", "/v1/creatives/{creative_id}"),
    ("PATCH", "/v1/creatives/{creative_id}"),
    ("POST", "/v1/creatives/{creative_id}/pause"),
    ("POST", "/v1/creatives/{creative_id}/resume"),
    ("GET", "/v1/creatives/{creative_id}/preview"),
    ("POST", "/v1/preview"),
    ("GET", "/v1/delivery"),
    ("GET", "/v1/limits"),
    ("POST", "/v1/forecast"),
    ("GET", "/v1/reports"),
    ("GET", "/v1/advertisers"),
]


def load_schema(app):
    """The document as schemathesis reads it, with 422 among the answers valid data may get (see above), and 413
    (a body within every field's limits can still be larger than the server takes)."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "413", "422"]
    return schema


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_conforms_to_the_openapi_document(app, example_catalog, method, path):
    operation = load_schema(app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate()

    run()


@pytest.mark.parametrize("who", ["advertiser", "operator"])
@pytest.mark.parametrize(("method", "path"), SELF_SERVICE)
def test_self_service_operation_conforms_to_the_openapi_document(app, db, example_catalog, method, path, who):
    from adserver.catalog import api_tokens, self_service

    advertiser = "zahid-host"  # the example catalog's first advertiser, with limits to change things within
    self_service.set_limits(db, advertiser, max_total_budget=100000, max_daily_budget=10000, min_cpm=1, min_cpc=0.1)
    auth = {"Authorization": f"Bearer {api_tokens.create(db, advertiser if who == 'advertiser' else None)}"}
    if path == "/v1/forecast":  # recorded decisions to match every targeting the document allows against
        recorded_decisions(db)
    fuzz(app, method, path, auth)


# A publisher's token: its site's reports, and the 403 every other token-guarded operation documents.
@pytest.mark.parametrize("path", ["/v1/reports", "/v1/campaigns", "/v1/advertisers"])
def test_a_publishers_token_gets_what_the_openapi_document_says(app, db, example_catalog, path):
    from adserver.catalog import api_tokens, sites

    sites.save(db, {"id": "north", "name": "North", "domains": ["north.example"], "revenue_share": 0.5}, create=True)
    fuzz(app, "GET", path, {"Authorization": f"Bearer {api_tokens.create(db, None, site_id='north')}"})


def fuzz(app, method: str, path: str, auth: dict) -> None:
    operation = load_schema(app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate(headers=auth)

    run()


def test_openapi_document_lists_every_public_operation(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops if m != "parameters"}
    assert set(OPERATIONS) | set(SELF_SERVICE) <= documented


def test_the_document_says_what_the_server_takes_and_gives(client):
    """PATCH bodies may not carry `id` or a campaign's `creatives` (the server refuses them); a report comes as
    JSON or, with `format=csv`, as text/csv."""
    spec = client.get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def body(path: str) -> dict:
        ref = spec["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[1]]["properties"]

    assert not {"id", "creatives"} & set(body("/v1/campaigns/{campaign_id}"))
    assert "id" not in body("/v1/creatives/{creative_id}")
    report = spec["paths"]["/v1/reports"]["get"]["responses"]["200"]
    assert set(report["content"]) == {"application/json", "text/csv"} and report["description"]
