"""Schemathesis against the app's own OpenAPI schema: no input may produce a 5xx.

The schema is read from the app, so every router mounted in `api.routers.ROUTERS`
(including those added later) is fuzzed without touching this file. Examples per
operation: $API_FUZZ_EXAMPLES (default 25).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import create_app
from tests.api.conftest import issue_keys, settings_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
STATE = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
APP = create_app(settings_for(STATE, max_body_bytes=64 * 1024))
ADMIN_KEY = issue_keys(APP).admin
# A list over its limit (`MaxItems`, advertised as maxItems) or an over-size body is
# refused with 413, which rejects invalid data as surely as 422 does.
CONFIG = SchemathesisConfig.from_str(
    """
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
"""
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def running_app():
    """The app's lifespan (job runner) runs while the fuzzer calls it."""
    with TestClient(APP):
        yield
    shutil.rmtree(STATE, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_the_server_fail(case):
    """Generated requests, valid and invalid, never get a 5xx or an answer off the contract."""
    # Schema-valid is not always acceptable: business rules (a wcs key needs a sorter
    # scope, a job kind must exist) refuse some such requests with 4xx, by design.
    response = case.call_and_validate(
        headers={"X-API-Key": ADMIN_KEY}, excluded_checks=[positive_data_acceptance]
    )
    assert response.status_code < 500, response.text  # also among schemathesis's own checks
