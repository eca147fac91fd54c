"""Fuzz the HTTP API from its own OpenAPI schema with schemathesis: no 5xx, every response matches the
schema (status codes, content types and bodies as documented)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_never_errors_and_matches_its_schema(server):
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            statuses.append(case.call_and_validate(checks=CHECKS).status_code)

        run()
    assert len(statuses) >= 100 and max(statuses) < 500
    assert any(400 <= s < 500 for s in statuses)  # the fuzzer did reach the error paths
