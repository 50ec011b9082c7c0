"""Hostile or oversized requests get a 4xx in the one error shape, never a 500."""

from __future__ import annotations

import pytest


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
