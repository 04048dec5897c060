"""Views: list, show, their tickets and count — including the failures view."""

from __future__ import annotations

import pytest

from buzon.rules.models import View
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import update_ticket

pytestmark = pytest.mark.django_db

FAILURES_VIEW = "Tickets with email delivery failures"


def test_list_and_show_views(api):
    views = api.get("views.json").json()["views"]
    titles = [v["title"] for v in views]
    assert FAILURES_VIEW in titles
    view = next(v for v in views if v["title"] == FAILURES_VIEW)
    assert view["conditions"]["all"][0] == {
        "field": "current_tags", "operator": "includes", "value": FAILURE_TAG,
    }  # fmt: skip
    assert view["execution"]["columns"][0]["id"] == "id"
    assert api.get(f"views/{view['id']}.json").json()["view"]["id"] == view["id"]
    assert api.get("views/999999").status_code == 404


def test_run_the_failures_view(api, ticket, agent):
    view = View.objects.get(title=FAILURES_VIEW)
    assert api.get(f"views/{view.pk}/tickets.json").json()["tickets"] == []
    update_ticket(ticket, actor=agent, via=Via.SYSTEM, fields={"additional_tags": [FAILURE_TAG]})
    body = api.get(f"views/{view.pk}/tickets.json").json()
    assert [t["id"] for t in body["tickets"]] == [ticket.pk]
    assert body["count"] == 1
    count = api.get(f"views/{view.pk}/count.json").json()["view_count"]
    assert count["view_id"] == view.pk and count["value"] == 1 and count["fresh"] is True


def test_your_unsolved_tickets_resolves_current_user(api, ticket, agent, other_agent):
    view = View.objects.get(title="Your unsolved tickets")
    update_ticket(ticket, actor=agent, via=Via.WEB, fields={"assignee_id": agent.pk})
    assert [t["id"] for t in api.get(f"views/{view.pk}/tickets").json()["tickets"]] == [ticket.pk]


def test_view_tickets_cursor_pagination(api, ticket, agent):
    view = View.objects.get(title="All unsolved tickets")
    body = api.get(f"views/{view.pk}/tickets?page[size]=1").json()
    assert body["meta"]["has_more"] is False and len(body["tickets"]) == 1
