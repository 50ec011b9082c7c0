"""Headers every response carries, and the stricter ones of our HTML pages."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/demo", "/reports", "/docs", "/"])
def test_html_pages_carry_a_content_security_policy_and_refuse_framing(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"


def test_the_api_and_the_snippet_are_not_given_a_page_policy(client, example_catalog):
    r = client.post(
        "/v1/decision", json={"placement": "article-footer", "article": {"topic": "artificial-intelligence"}}
    )
    assert "Content-Security-Policy" not in r.headers and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in client.get("/embed.js").headers
