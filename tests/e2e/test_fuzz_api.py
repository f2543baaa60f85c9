"""Property-based fuzzing of every route of the running local stack against docs/openapi.yaml (schemathesis).

No input may yield a 5xx, every response must match the document, and the stored data must stay consistent.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from local.dev_process import DevStack
from tooling.paths import PROJECT_ROOT

schema = schemathesis.openapi.from_path(PROJECT_ROOT / "docs" / "openapi.yaml")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def andrew_token(dev_stack: DevStack) -> str:
    return dev_stack.token("andrewbrown")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_breaks_the_contract(case: schemathesis.Case, dev_stack: DevStack, andrew_token: str) -> None:
    case.call_and_validate(
        base_url=dev_stack.api_url, headers={"Authorization": f"Bearer {andrew_token}"}, checks=CHECKS
    )


def test_the_data_is_consistent_after_fuzzing(dev_stack: DevStack) -> None:
    assert dev_stack.consistency_problems(timeout=20) == []  # the poller may still be applying the last ones
