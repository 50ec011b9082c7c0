"""Hostile or oversized requests get a 4xx in the one error shape, never a 500."""

from __future__ import annotations

import pytest

from adserver.api.errors import MAX_QUERY_BYTES


@pytest.mark.parametrize(
    "body",
    [
        "[" * 7000 + "]" * 7000,  # 14 KB of nested arrays
        '{"placement": "article-footer", "article": {"keywords": ' + "[" * 5000 + "]" * 5000 + "}}",
        "{" + '"a":{' * 2000 + "}" * 2001,
    ],
)
def test_deeply_nested_json_is_a_400_not_a_500(client, body):
    r = client.post("/v1/decision", data=body, content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_json"


def test_an_empty_json_body_names_the_missing_fields(client):
    r = client.post("/v1/decision", data="", content_type="application/json")
    assert r.status_code == 400 and "placement" in r.get_json()["error"]["fields"]


def test_a_query_string_past_the_limit_is_a_414_in_the_error_shape(client):
    r = client.get("/v1/decision", query_string={"topic": "ai", "summary": "x" * (MAX_QUERY_BYTES + 1)})
    assert r.status_code == 414
    assert r.get_json()["error"]["code"] == "uri_too_long"


def test_the_get_decisions_414_is_in_the_openapi_document(client):
    spec = client.get("/openapi.json").get_json()
    assert "414" in spec["paths"]["/v1/decision"]["get"]["responses"]
