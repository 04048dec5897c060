"""The search page, on the `buzon.search` query language."""

import pytest

from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket


def test_the_search_page_without_a_query(agent_client):
    response = agent_client.get("/search/")
    assert response.status_code == 200
    assert "tags:system_email_notification_failure" in response.content.decode()


def test_search_finds_exactly_the_failing_tickets(agent, agent_client, requester):
    failing = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "failing", "requester_id": requester.pk, "tags": [FAILURE_TAG]},
        comment=CommentInput(body="x", public=False),
    )
    create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "fine", "requester_id": requester.pk},
        comment=CommentInput(body="x", public=False),
    )
    response = agent_client.get(f"/search/?q=tags:{FAILURE_TAG}")
    assert [t.pk for t in response.context["tickets"]] == [failing.pk]


@pytest.mark.parametrize(
    "query", ["status<solved", "requester:ana@example.com", "type:ticket factura"]
)
def test_the_examples_run(agent_client, ticket, query):
    assert agent_client.get("/search/", {"q": query}).status_code == 200


def test_a_bad_query_points_at_the_mistake(agent_client):
    response = agent_client.get("/search/", {"q": "stauts:open"})
    assert response.status_code == 400
    assert "<mark>" in response.content.decode()
