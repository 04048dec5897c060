"""Fixtures for search tests: a small help desk built through the real services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from buzon.search import compile_tickets, compile_users
from buzon.tickets.models import Group, Organization, Role, Ticket, User, Via
from buzon.tickets.services import CommentInput, create_ticket


@pytest.fixture
def make_ticket(agent: User) -> Callable[..., Ticket]:
    """create_ticket with defaults: opened on the web by `agent`, first comment public."""

    def make(
        subject: str,
        body: str = "Gracias por escribirnos.",
        *,
        actor: User | None = None,
        via: str = Via.WEB,
        public: bool = True,
        **fields: Any,
    ) -> Ticket:
        return create_ticket(
            actor=actor or agent,
            via=via,
            fields={"subject": subject, **fields},
            comment=CommentInput(body=body, public=public),
        )

    return make


@pytest.fixture
def acme(db) -> Organization:
    return Organization.objects.create(name="Acme Logistics")


@pytest.fixture
def billing(db) -> Group:
    return Group.objects.create(name="Billing")


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user("root@helpdesk.test", "Rosa Admin", role=Role.ADMIN)


@pytest.fixture
def find(agent: User) -> Callable[..., set[int]]:
    """The ids of the tickets a query finds, searched as `agent` unless told otherwise."""

    def find_ids(text: str, user: User | None = None) -> set[int]:
        return set(compile_tickets(text, user=user or agent).values_list("pk", flat=True))

    return find_ids


@pytest.fixture
def find_users(agent: User) -> Callable[..., set[str]]:
    """The emails of the users a query finds."""

    def find_emails(text: str, user: User | None = None) -> set[str]:
        return set(compile_users(text, user=user or agent).values_list("email", flat=True))

    return find_emails
