"""Zenpy, the maintained Python client for Zendesk's API, against a running Buzón.

Zenpy is pointed at Buzón by configuration only: its documented environment
overrides ZENPY_FORCE_NETLOC (host:port instead of {subdomain}.zendesk.com) and
ZENPY_FORCE_SCHEME (http: the test server has no TLS); the credentials are an
ordinary `email` + API `token`, exactly as for Zendesk. No Zenpy code is patched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from buzon.api.models import ApiToken
from buzon.tickets.models import Audit, Role, User, Via

zenpy = pytest.importorskip("zenpy")
from zenpy.lib.api_objects import Comment, Ticket  # noqa: E402
from zenpy.lib.api_objects import User as ZenpyUser  # noqa: E402

# serialized_rollback: the standard triggers and views (a data migration) survive
# the flush that ends a transactional test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def zendesk(live_server, monkeypatch):
    agent = User.objects.create_user("agent@helpdesk.test", "Alicia Agent", role=Role.AGENT)
    _, token = ApiToken.create_for(agent, "zenpy")
    url = urlsplit(live_server.url)
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", url.netloc)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", url.scheme)
    client = zenpy.Zenpy(subdomain="buzon", email=agent.email, token=token, timeout=30)
    return client, agent


def test_zenpy_creates_a_ticket_comments_reads_audits_and_searches(zendesk):
    client, agent = zendesk

    created = client.tickets.create(
        Ticket(
            subject="Impresora en llamas",
            comment=Comment(body="Sale humo de colores."),
            requester=ZenpyUser(name="Carmen Cliente", email="carmen@example.com"),
            tags=["printer"],
        )
    )
    ticket_id = created.ticket.id
    assert created.ticket.subject == "Impresora en llamas"
    assert created.audit.via.channel == "api"
    requester = User.objects.get(email="carmen@example.com")
    assert created.ticket.requester_id == requester.pk

    ticket = client.tickets(id=ticket_id)
    ticket.comment = Comment(body="Ya va un técnico.", public=True)
    ticket.tags.extend(["system_email_notification_failure"])
    updated = client.tickets.update(ticket)
    assert updated.audit.via.channel == "api"
    assert "system_email_notification_failure" in client.tickets(id=ticket_id).tags

    audits = list(client.tickets.audits(ticket=ticket_id))
    assert len(audits) == 2
    event_types = {event["type"] for audit in audits for event in audit.events}
    assert {"Create", "Comment", "Notification"} <= event_types
    assert all(a.via == Via.API for a in Audit.objects.filter(ticket_id=ticket_id))

    comments = [c.body for c in client.tickets.comments(ticket=ticket_id)]
    assert comments == ["Sale humo de colores.", "Ya va un técnico."]

    found = list(client.search(type="ticket", tags="system_email_notification_failure"))
    assert [t.id for t in found] == [ticket_id]
    assert client.search("impresora", type="ticket").count == 1
    me = client.users.me()
    assert me.email == agent.email
