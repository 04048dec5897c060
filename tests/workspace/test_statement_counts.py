"""The pages agents keep open make the same number of SQL statements however much
history there is: more comments, notifications and failures add none."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, record_failure
from buzon.rules.models import View
from buzon.tickets.models import User, Via
from buzon.tickets.services import CommentInput, update_ticket

TICKET_PAGE = 11  # session, user, ticket, live version, tags, CCs, comments, recipients,
# when the suppressions that stopped copies began (only with such a copy), identities,
# suppressions
FAILURES_VIEW = 5
HEALTH_PAGE = 12  # on SQLite, 10 on PostgreSQL: session, user, folding the count deltas (3 on
# SQLite, 1 on PostgreSQL), failures per day, deliveries per state, the deferred ones (only
# when some are), unmatched bounces (counted only past a page), domains, problems of ours,
# mailboxes, the deliverability check
PROFILE = 7  # session, user, person, identities with their last failures, suppressions,
# failures, tickets


def add_history(ticket, agent, replies: int) -> None:
    """Public replies (each notifies three people) whose first delivery fails."""
    for i in range(replies):
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=f"reply {i}"))
        delivery = Delivery.objects.filter(ticket=ticket, state="queued").order_by("-id").first()
        record_failure(
            delivery,
            Failure(
                source="suppressed" if i % 2 else "smtp",
                reply_code=550,
                enhanced_status="5.1.1",
                diagnostic="User unknown",
                remote_mta="mx.example.com",
                reason="userunknown",
                hard=False,
            ),
        )


def statements(client, url: str) -> int:
    client.get(url)  # the first request may warm caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_statements_do_not_grow_with_history(agent, agent_client, ticket):
    failures = View.objects.get(title="Tickets with email delivery failures")
    urls = {
        "ticket": f"/tickets/{ticket.pk}/",
        "failures view": f"/views/{failures.pk}/",
        "health": "/health/",
    }
    add_history(ticket, agent, 2)
    failed = Delivery.objects.filter(ticket=ticket, state="failed").first()
    urls["profile"] = f"/users/{User.objects.get(email__iexact=failed.email).pk}/"
    before = {name: statements(agent_client, url) for name, url in urls.items()}
    add_history(ticket, agent, 8)
    after = {name: statements(agent_client, url) for name, url in urls.items()}
    assert after == before
    assert after["ticket"] <= TICKET_PAGE
    assert after["failures view"] <= FAILURES_VIEW
    assert after["health"] <= HEALTH_PAGE
    assert after["profile"] <= PROFILE
