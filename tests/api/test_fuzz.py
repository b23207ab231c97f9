"""Property-based fuzzing over the OpenAPI schema (schemathesis): whatever a client sends, the API answers
with a documented status and body, and never with a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.keys import KeyStore
from api.warehouse import DuckDBWarehouse
from shelfcast.config import load_settings
from tests.api.conftest import Api

pytestmark = pytest.mark.spark  # the session's warehouse comes from a Spark landing
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


def openapi() -> dict:
    """The API's OpenAPI document: creating the app touches no warehouse or key store."""
    unused = Path(tempfile.gettempdir()) / "shelfcast-openapi-unused"
    app = create_app(
        load_settings(data_dir=unused),
        warehouse=DuckDBWarehouse(unused / "none.duckdb"),
        keys=KeyStore(unused),
    )
    return app.openapi()


schema = schemathesis.openapi.from_dict(openapi())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, api: Api) -> None:
    case.call_and_validate(headers=api.one_region, checks=CHECKS, app=api.client.app)
