"""The OpenAPI schema is generated from the code, served, and the API keeps to it.

schemathesis generates requests from the served schema for every operation and
checks each response: no 5xx, a declared status code and content type, a body
that matches the declared schema, declared headers. Bounded: a few examples per
operation, derandomized, so the run takes seconds and is repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.apihelpers import api_for
from buzon.api.openapi import document
from buzon.api.router import api as router
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket
from buzon.wsgi import application

EXAMPLES_PER_OPERATION = 6


def test_schema_is_generated_from_the_endpoint_declarations(client):
    served = client.get("/api/v2/openapi.json")
    assert served.status_code == 200
    schema = served.json()
    assert schema["openapi"].startswith("3.1")
    operations = {(m.upper(), p) for p, item in schema["paths"].items() for m in item}
    declared = {(e.method, f"/api/v2/{e.path}") for e in router.endpoints}
    assert operations == declared
    ticket = schema["components"]["schemas"]["Ticket"]
    assert "email_cc_ids" in ticket["properties"] and "status" in ticket["required"]
    assert ticket["properties"]["status"]["enum"][:2] == ["new", "open"]
    status = schema["components"]["schemas"]["DeliveryStatus"]
    # Zendesk's four, and Buzón's blame in a field of its own
    assert set(status["required"]) == {"id", "name", "code", "message", "blame"}
    assert "who must act" in status["properties"]["blame"]["description"]
    assert schema == document()


def test_docs_page_lists_every_operation(client):
    page = client.get("/api/v2/docs")
    assert page.status_code == 200
    html = page.content.decode()
    for endpoint in router.endpoints:
        assert f"/api/v2/{endpoint.path}" in html
    assert "https://" not in html.split("</style>")[0]  # nothing loaded from a CDN


@pytest.fixture
def served_data(db, settings, admin_user, agent, requester, cc_users):
    """Something to find, and Django's connection kept open across WSGI requests."""
    settings.API_RATE_LIMIT = 0
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Fixture", "requester_id": requester.pk, "tags": ["vip"]},
        comment=CommentInput(body="hola"),
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="otra"))
    # Served in-process through the WSGI app, inside the test's transaction: keep
    # Django from closing the connection at the end of each request (as its test
    # client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(admin_user):
    return {"Authorization": api_for(admin_user).auth}


# The schema as served by the app (fetched through WSGI when the module loads).
schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", application)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_to_its_schema(case, served_data, auth_headers):
    case.call_and_validate(
        headers=auth_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ],
    )
