"""Shared fixtures: people and tickets built through the real service functions."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from buzon.tickets.models import Role, Ticket, User, Via
from buzon.tickets.services import CommentInput, create_ticket

# No test asks the internet's DNS: lookups are off unless a test points them at its
# own server on loopback (tests/domains). Subprocesses (`buzon run`, workers) inherit it.
os.environ["BUZON_DNS_RESOLVERS"] = "off"
settings.DNS_RESOLVERS = "off"


@pytest.fixture
def agent(db) -> User:
    return User.objects.create_user("agent@helpdesk.test", "Alicia Agent", role=Role.AGENT)


@pytest.fixture
def other_agent(db) -> User:
    return User.objects.create_user("bruno@helpdesk.test", "Bruno Agent", role=Role.AGENT)


@pytest.fixture
def requester(db) -> User:
    return User.objects.create_user("ana@example.com", "Ana Cliente")


@pytest.fixture
def cc_users(db) -> list[User]:
    return [
        User.objects.create_user("carla@example.com", "Carla CC"),
        User.objects.create_user("diego@example.net", "Diego CC"),
    ]


@pytest.fixture
def ticket(agent: User, requester: User, cc_users: list[User]) -> Ticket:
    """A proactive ticket an agent opened for Ana, with two CCs."""
    return create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={
            "subject": "Factura duplicada",
            "requester_id": requester.pk,
            "email_cc_ids": [u.pk for u in cc_users],
        },
        comment=CommentInput(body="Hola Ana, hemos visto la factura duplicada."),
    )


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user(
        "root@helpdesk.test", "Root Admin", password="s3cret-pass", role=Role.ADMIN
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client
