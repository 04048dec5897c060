"""GET /api/v2/search and search/count: the search app's query language over HTTP."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buzon.api.views import search as search_view
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_ticket(ticket, agent):
    update_ticket(ticket, actor=agent, via=Via.SYSTEM, fields={"additional_tags": [FAILURE_TAG]})
    return ticket


def test_search_tickets_by_failure_tag(api, failed_ticket, agent, requester):
    create_ticket(
        actor=agent, via=Via.WEB, fields={"subject": "Sin fallos", "requester_id": requester.pk},
        comment=CommentInput(body="todo bien"),
    )  # fmt: skip
    response = api.get(f"search.json?query=type:ticket tags:{FAILURE_TAG}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (result,) = body["results"]
    assert result["result_type"] == "ticket" and result["id"] == failed_ticket.pk
    assert FAILURE_TAG in result["tags"]
    assert body["next_page"] is None and body["previous_page"] is None
    count = api.get(f"search/count.json?query=type:ticket tags:{FAILURE_TAG}").json()
    assert count == {"count": 1}


def test_search_finds_users_too(api, requester, ticket):
    body = api.get("search?query=type:user email:ana@example.com").json()
    assert [(r["result_type"], r["id"]) for r in body["results"]] == [("user", requester.pk)]
    both = api.get("search?query=Factura").json()
    assert {r["result_type"] for r in both["results"]} == {"ticket"}


def test_malformed_query_is_400_with_the_position(api):
    response = api.get("search.json?query=type:ticket status:opne")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "InvalidQuery"
    assert "opne" in body["description"] and "did you mean 'open'" in body["description"]
    assert body["details"]["query"][0]["position"] == 19
    assert api.get("search").status_code == 400


def test_search_pages_and_sort(api, agent, requester):
    for n in range(5):
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"Pedido {n}", "requester_id": requester.pk},
            comment=CommentInput(body="pedido"),
        )
    first = api.get(
        "search?query=type:ticket pedido&per_page=2&sort_by=created_at&sort_order=asc"
    ).json()
    assert first["count"] == 5 and [r["subject"] for r in first["results"]] == [
        "Pedido 0",
        "Pedido 1",
    ]
    assert "page=2" in first["next_page"]
    assert api.get("search?query=pedido&sort_by=nonsense").status_code == 400


def test_pages_run_across_tickets_then_users(api, agent, requester):
    for subject in ("Cliente nuevo", "Otro cliente"):
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": subject, "requester_id": requester.pk},
            comment=CommentInput(body="hola"),
        )
    first = api.get("search?query=cliente&per_page=2").json()
    assert first["count"] == 3  # two tickets and Ana Cliente
    assert [r["result_type"] for r in first["results"]] == ["ticket", "ticket"]
    second = api.get("search?query=cliente&per_page=2&page=2").json()
    assert [(r["result_type"], r["id"]) for r in second["results"]] == [("user", requester.pk)]
    assert second["count"] == 3 and second["next_page"] is None
    beyond = api.get("search?query=cliente&per_page=2&page=5").json()
    assert beyond["results"] == [] and beyond["count"] == 3


def test_only_the_first_results_can_be_paged_through(api, agent, requester, monkeypatch):
    monkeypatch.setattr(search_view, "RESULT_LIMIT", 4)
    for n in range(5):
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"Envío {n}", "requester_id": requester.pk},
            comment=CommentInput(body="envío"),
        )
    first = api.get("search?query=type:ticket envío&per_page=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next_page"]
    last = api.get("search?query=type:ticket envío&per_page=2&page=2").json()
    assert len(last["results"]) == 2 and last["next_page"] is None
    beyond = api.get("search?query=type:ticket envío&per_page=2&page=3")
    assert beyond.status_code == 400
    assert "first 4 results" in beyond.json()["description"]


def test_a_last_page_is_counted_without_a_count_query(api, failed_ticket):
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"search.json?query=type:ticket tags:{FAILURE_TAG}").json()
    assert body["count"] == 1 and len(body["results"]) == 1
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_tags_alone_are_paged_and_counted_once_per_ticket(api, end_user_api, agent, requester):
    tickets = []
    for n, tags in enumerate((["vip"], ["vip", "urgente"], ["urgente"], ["otro"])):
        ticket = create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"Caso {n}", "requester_id": requester.pk, "tags": tags},
            comment=CommentInput(body="hola"),
        )
        tickets.append(ticket)
    others = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "De otra persona", "requester_id": agent.pk, "tags": ["vip"]},
        comment=CommentInput(body="hola"),
    )
    first = api.get("search?query=tags:vip tags:urgente&per_page=2").json()
    second = api.get("search?query=tags:vip tags:urgente&per_page=2&page=2").json()
    assert first["count"] == second["count"] == 4
    newest_first = [others.pk, tickets[2].pk, tickets[1].pk, tickets[0].pk]
    assert [r["id"] for r in first["results"] + second["results"]] == newest_first
    assert first["next_page"] and second["next_page"] is None
    assert api.get("search/count?query=tags:vip tags:urgente").json() == {"count": 4}
    own = end_user_api.get("search?query=tags:vip").json()
    assert own["count"] == 2 and {r["id"] for r in own["results"]} == {
        tickets[0].pk,
        tickets[1].pk,
    }
