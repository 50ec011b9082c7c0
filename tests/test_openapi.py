"""The OpenAPI document and docs page, and schemathesis against the app: no 5xx, responses match the schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


def test_openapi_json_is_an_openapi_3_document(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert "/v1/decision" in doc["paths"]


def test_docs_page_uses_the_vendored_redoc_bundle(client):
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "/static/vendor/redoc.standalone.js" in html
    assert "https://" not in html and "http://" not in html.replace('spec-url="http', "")


def test_vendored_redoc_bundle_is_served(client):
    r = client.get("/static/vendor/redoc.standalone.js")
    assert r.status_code == 200
    assert len(r.data) > 100_000


def test_api_conforms_to_its_schema(app, example_catalog):
    """Every operation, a bounded number of generated requests each: no 5xx, every response as documented."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case):
            case.call_and_validate(checks=checks)

        run()
