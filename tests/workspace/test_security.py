"""CSRF on every form; nothing from outside is rendered as HTML."""

import pytest
from django.test import Client

from buzon.tickets.models import UserIdentity


@pytest.fixture
def csrf_client(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


def post_urls(ticket, requester):
    identity = UserIdentity.objects.get(user=requester)
    return [
        ("/logout/", {}),
        ("/preferences/", {"locale": "es", "time_zone": "UTC"}),
        ("/preferences/language/", {"locale": "es"}),
        (f"/tickets/{ticket.pk}/reply/", {"visibility": "public", "body": "x"}),
        (f"/users/{requester.pk}/identities/", {"address": "new@example.com"}),
        (f"/users/{requester.pk}/identities/{identity.pk}/edit/", {"address": "y@example.com"}),
        (f"/users/{requester.pk}/identities/{identity.pk}/primary/", {}),
        (f"/users/{requester.pk}/identities/{identity.pk}/deliverable/", {}),
    ]


def test_every_form_enforces_csrf(csrf_client, ticket, requester):
    for url, data in post_urls(ticket, requester):
        response = csrf_client.post(url, data)
        assert response.status_code == 403, url


def test_sign_in_enforces_csrf(agent):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": agent.email, "password": "x"})
    assert response.status_code == 403


def test_every_form_carries_a_csrf_token(agent_client, ticket, requester):
    for url in (f"/tickets/{ticket.pk}/", f"/users/{requester.pk}/", "/preferences/"):
        html = agent_client.get(url).content.decode()
        assert html.count('method="post"') <= html.count('name="csrfmiddlewaretoken"'), url


def test_a_hostile_name_is_escaped_everywhere(agent, agent_client, ticket, requester):
    requester.name = '<img src=x onerror="alert(1)">'
    requester.save()
    for url in (f"/tickets/{ticket.pk}/", f"/users/{requester.pk}/", "/views/3/"):
        html = agent_client.get(url).content.decode()
        assert "<img src=x" not in html, url
