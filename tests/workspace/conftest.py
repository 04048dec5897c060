"""Fixtures for the workspace: signed-in clients for an agent, an admin and an end user."""

from __future__ import annotations

import pytest
from django.test import Client

from buzon.tickets.models import Role, User

PASSWORD = "correct-horse-battery"


@pytest.fixture
def agent_client(agent: User) -> Client:
    agent.set_password(PASSWORD)
    agent.save()
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def end_user(db) -> User:
    return User.objects.create_user("eve@example.com", "Eve Enduser", password=PASSWORD)


@pytest.fixture
def end_user_client(end_user: User) -> Client:
    client = Client()
    client.force_login(end_user)
    return client


@pytest.fixture
def spanish_agent_client(db) -> Client:
    user = User.objects.create_user(
        "lucia@helpdesk.test", "Lucía Agente", password=PASSWORD, role=Role.AGENT, locale="es"
    )
    client = Client()
    client.force_login(user)
    return client
