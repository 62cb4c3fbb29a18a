"""Schemathesis against the live app (WSGI): no server error, answers as the OpenAPI document says.

Bounded: a fixed number of generated requests per mode, no example database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.api.conftest import REPORTING_TZ
from tests.api.conftest import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 30}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_schemathesis_finds_no_server_error(api_db, api_app, use_database, mode):
    use_database(api_db.url, reporting_tz=REPORTING_TZ)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [op.label for op in operations] == ["GET /api/v1/metrics"]
    headers = bearer(api_db, "planner-api")  # a role that may read every metric
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operations[0].as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    check()
    assert statuses and all(status < 500 for status in statuses)
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses
