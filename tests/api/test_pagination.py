"""Offset and cursor pagination, as Zendesk's."""

from __future__ import annotations

import pytest

from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven_tickets(agent, requester):
    return [
        create_ticket(
            actor=agent, via=Via.API, fields={"subject": f"T{n}", "requester_id": requester.pk},
            comment=CommentInput(body="hola"),
        ).pk
        for n in range(7)
    ]  # fmt: skip


def test_offset_pages(api, seven_tickets):
    first = api.get("tickets.json?per_page=3").json()
    assert [t["id"] for t in first["tickets"]] == seven_tickets[:3]
    assert first["count"] == 7 and first["previous_page"] is None
    assert "page=2" in first["next_page"] and "per_page=3" in first["next_page"]
    last = api.get("tickets.json?per_page=3&page=3").json()
    assert [t["id"] for t in last["tickets"]] == seven_tickets[6:]
    assert last["next_page"] is None and "page=2" in last["previous_page"]


def test_cursor_pages_forward_and_back(api, seven_tickets):
    seen: list[int] = []
    url = "tickets.json?page[size]=3"
    pages = []
    while url:
        body = api.get(url if url.startswith("tickets") else url.split("testserver", 1)[1]).json()
        assert set(body) == {"tickets", "meta", "links"}
        pages.append(body)
        seen += [t["id"] for t in body["tickets"]]
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert seen == seven_tickets
    assert [len(p["tickets"]) for p in pages] == [3, 3, 1]
    back = api.get(pages[2]["links"]["prev"].split("testserver", 1)[1]).json()
    assert [t["id"] for t in back["tickets"]] == seven_tickets[3:6]


def test_cursor_on_updated_at_descending(api, seven_tickets):
    first = api.get("tickets?page[size]=4&sort=-updated_at").json()
    after = first["meta"]["after_cursor"]
    second = api.get(f"tickets?page[size]=4&sort=-updated_at&page[after]={after}").json()
    ids = [t["id"] for t in first["tickets"] + second["tickets"]]
    assert sorted(ids) == sorted(seven_tickets) and len(set(ids)) == 7
    assert second["meta"]["has_more"] is False


@pytest.mark.parametrize(
    "query",
    ["page[after]=garbage", "page[after]=WyJ4Il0", "page[size]=0", "page[size]=101",
     "per_page=500", "page=0", "page=abc", "sort=subject", "page[after]=x&page[before]=y"],
)  # fmt: skip
def test_bad_pagination_parameters_are_400(api, seven_tickets, query):
    response = api.get(f"tickets.json?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]
