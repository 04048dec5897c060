"""Views are saved filters in the trigger condition language, with columns and sort."""

import pytest
from django.core.exceptions import ValidationError

from buzon.rules.models import View
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket

FAILURES = "Tickets with email delivery failures"


def new_ticket(agent, requester, subject, **fields):
    return create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": subject, "requester_id": requester.pk, **fields},
        comment=CommentInput(body="x", public=False),
    )


def test_the_standard_views_are_seeded(db):
    titles = list(View.objects.values_list("title", flat=True))
    assert FAILURES in titles
    assert "Your unsolved tickets" in titles and "Unassigned tickets" in titles


def test_the_failures_view_lists_unsolved_tickets_with_the_failure_tag(agent, requester):
    failing = new_ticket(agent, requester, "failing", tags=[FAILURE_TAG])
    solved = new_ticket(agent, requester, "solved failing", tags=[FAILURE_TAG])
    update_ticket(solved, actor=agent, via=Via.WEB, fields={"status": "solved"})
    new_ticket(agent, requester, "fine", tags=["other"])
    view = View.objects.get(title=FAILURES)
    assert list(view.tickets()) == [failing]
    assert view.count() == 1
    assert view.columns == ["id", "subject", "requester", "status", "tags", "updated_at"]


def test_your_unsolved_tickets_resolves_current_user(agent, other_agent, requester):
    mine = new_ticket(agent, requester, "mine", assignee_id=agent.pk)
    new_ticket(agent, requester, "theirs", assignee_id=other_agent.pk)
    view = View.objects.get(title="Your unsolved tickets")
    assert list(view.tickets(agent.pk)) == [mine]


def test_views_sort_as_configured(agent, requester):
    a = new_ticket(agent, requester, "a")
    b = new_ticket(agent, requester, "b")
    view = View.objects.create(
        title="Oldest first", conditions={}, sort_by="created_at", sort_order="asc"
    )
    assert list(view.tickets()) == [a, b]
    view.sort_order = "desc"
    view.save()
    assert list(view.tickets()) == [b, a]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"conditions": {"all": [{"field": "status", "operator": "changed"}]}}, "views filter"),
        ({"columns": ["id", "mood"]}, "unknown column"),
        ({"sort_by": "mood"}, "cannot sort by"),
    ],
)
def test_invalid_views_are_refused(db, fields, message):
    with pytest.raises(ValidationError, match=message):
        View.objects.create(title="Bad", **fields)
