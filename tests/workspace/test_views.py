"""The sidebar of views with counts, and ticket lists with sorting and pagination."""

from buzon.rules.models import View
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket
from buzon.workspace.views.ticket_lists import PAGE_SIZE

FAILURES = "Tickets with email delivery failures"


def make(agent, requester, subject, **fields):
    return create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": subject, "requester_id": requester.pk, **fields},
        comment=CommentInput(body="x", public=False),
    )


def test_home_redirects_to_the_first_view(agent_client):
    first = View.objects.order_by("position", "id").first()
    response = agent_client.get("/")
    assert response["Location"] == f"/views/{first.pk}/"


def test_the_sidebar_lists_every_active_view_with_its_count(agent, agent_client, requester):
    make(agent, requester, "failing one", tags=[FAILURE_TAG])
    make(agent, requester, "fine one")
    failures = View.objects.get(title=FAILURES)
    response = agent_client.get(f"/views/{failures.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page"' in html
    assert "failing one" in html and "fine one" not in html
    assert FAILURE_TAG in html
    # The counts arrive in a second request (htmx, on load).
    assert 'hx-trigger="load"' in html
    counts = agent_client.get(f"/views/counts/?current={failures.pk}")
    sidebar = {v.title: n for v, n in counts.context["sidebar"]}
    assert sidebar[FAILURES] == 1
    assert sidebar["All unsolved tickets"] == 2
    assert 'aria-current="page"' in counts.content.decode()


def test_the_counts_partial_refreshes_alone(agent_client, agent, requester):
    make(agent, requester, "failing", tags=[FAILURE_TAG])
    response = agent_client.get("/views/counts/")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'hx-trigger="every 1s"' in response.content


def test_lists_sort_by_a_column(agent, agent_client, requester):
    make(agent, requester, "bbb")
    make(agent, requester, "aaa")
    view = View.objects.get(title="All unsolved tickets")
    asc = agent_client.get(f"/views/{view.pk}/?sort=subject&order=asc")
    assert [t.subject for t in asc.context["tickets"]] == ["aaa", "bbb"]
    desc = agent_client.get(f"/views/{view.pk}/?sort=subject&order=desc")
    assert [t.subject for t in desc.context["tickets"]] == ["bbb", "aaa"]
    assert b'aria-sort="descending"' in desc.content


def test_an_unknown_sort_column_falls_back_to_the_views_own(agent_client, agent, requester):
    make(agent, requester, "x")
    view = View.objects.get(title="All unsolved tickets")
    response = agent_client.get(f"/views/{view.pk}/?sort=password&order=sideways")
    assert response.status_code == 200
    assert response.context["sort"] == view.sort_by


def test_lists_paginate(agent, agent_client, requester):
    for i in range(PAGE_SIZE + 3):
        make(agent, requester, f"ticket {i:03d}")
    view = View.objects.get(title="All unsolved tickets")
    first = agent_client.get(f"/views/{view.pk}/")
    assert len(first.context["tickets"]) == PAGE_SIZE
    assert b'rel="next"' in first.content
    second = agent_client.get(f"/views/{view.pk}/?page=2")
    assert len(second.context["tickets"]) == 3
    assert b'rel="next"' not in second.content
    beyond = agent_client.get(f"/views/{view.pk}/?page=999")
    assert beyond.context["tickets"] == []
    assert b"No tickets on this page" in beyond.content


def test_a_view_page_makes_a_bounded_number_of_queries(
    agent, agent_client, requester, django_assert_max_num_queries
):
    for i in range(40):
        make(agent, requester, f"t{i}", tags=[FAILURE_TAG, f"tag{i}"])
    view = View.objects.get(title=FAILURES)
    with django_assert_max_num_queries(8):
        assert agent_client.get(f"/views/{view.pk}/").status_code == 200
    with django_assert_max_num_queries(10):
        assert agent_client.get("/views/counts/").status_code == 200


def test_an_unknown_view_is_404(agent_client):
    assert agent_client.get("/views/999999/").status_code == 404
