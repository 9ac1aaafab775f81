"""The JSON API fuzzed from its own OpenAPI document with schemathesis, in process.

schemathesis reads /api/openapi.json from the WSGI application, generates requests for every
operation (valid ones and, in negative mode, ones that break the document's rules) and sends
them to the same application, which talks to the real PostgreSQL of the test run. Every
answer must be a documented status with the documented content type, headers and schema,
and never a 5xx.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks as base_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from visitors.models import Visitor
from visitors_site.wsgi import application

API_TOKEN = "schemathesis-api-token-5a1c"

# Enough examples per operation and mode to reach the edges (lengths, control characters,
# types, unknown fields), few enough to keep the file well under a minute.
MAX_EXAMPLES = 60

# What every answer must satisfy: no server error, and the document's status codes, content
# types, headers and body schemas.
CONFORMANCE = [
    base_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]
# Requests that break the document must be refused; requests that follow it must succeed.
VALIDATION = [
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
]

pytestmark = pytest.mark.django_db(transaction=True)


CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "headers": {"Authorization": f"Bearer {API_TOKEN}"},
    }
)
# The document as the application serves it (reading it touches no database).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def _api_token(settings):
    settings.VISITORS_API_TOKEN = API_TOKEN


@pytest.fixture(autouse=True)
def _stored_visitors(transactional_db):
    """Visitors at the edges of what is valid, so reads return real rows to validate."""
    Visitor.objects.bulk_create(
        [
            Visitor(name="N" * 100, company="C" * 100, message="M" * 500),
            Visitor(name="Zoë 🦄 <b>&amp;", company="", message="line\r\nbreak\ttab"),
            Visitor(name="Ada", company="Analytical Engines", message=""),
        ]
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_conforms_to_the_document(case):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        checks=CONFORMANCE + VALIDATION,
    )


# Found by this fuzzing (negative mode, `before=` sent as an empty string): the API reads an
# empty query parameter as an absent one and answers 200, though the document only allows
# integers. An empty cursor or page size must be refused like any other non-number.
@pytest.mark.parametrize("query", ["before=", "limit=", "before=%20", "limit=&before="])
def test_empty_query_parameters_are_refused_as_the_document_says(client, query, read_auth):
    response = client.get(f"/api/visitors?{query}", **read_auth)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert set(response.json()["errors"]) <= {"before", "limit"}
    assert response.json()["errors"]
