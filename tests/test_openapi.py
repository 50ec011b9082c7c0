"""Fuzz the API from its own OpenAPI document: no 5xx, every response as documented.

Drives schemathesis' strategies with hypothesis directly (its pytest plugin does not support
pytest 9 yet), one test per operation. `positive_data_acceptance` is left out: the document cannot
express two rules the API enforces with a 400 naming the field ("at least one of topic, keywords or
title"; placements come from settings),.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

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


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_conforms_to_the_openapi_document(app, example_catalog, method, path):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    run()


def test_openapi_document_lists_every_public_operation(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops if m != "parameters"}
    assert set(OPERATIONS) <= documented
