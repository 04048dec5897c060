"""Sign-in, sign-out, who may use the workspace, and per-user language and time zone."""

import pytest
from django.urls import reverse

from buzon.tickets.models import Role, User
from workspace.conftest import PASSWORD

AGENT_PAGES = [
    "/",
    "/search/?q=status<solved",
    "/codes/",
    "/codes/550/",
    "/health/",
    "/preferences/",
]


def test_the_sign_in_page_is_public(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_an_agent_signs_in_and_lands_on_the_views(client, agent):
    agent.set_password(PASSWORD)
    agent.save()
    response = client.post("/login/", {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert "Your unsolved tickets" in response.content.decode()


def test_a_wrong_password_says_so(client, agent):
    response = client.post("/login/", {"username": agent.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_an_end_user_is_refused_at_sign_in_with_a_clear_message(client, end_user):
    response = client.post("/login/", {"username": end_user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "for agents and admins only" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", AGENT_PAGES)
def test_pages_need_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_ticket_and_profile_pages_need_sign_in(client, ticket):
    for path in (f"/tickets/{ticket.pk}/", f"/users/{ticket.requester_id}/"):
        assert client.get(path).status_code == 302


@pytest.mark.parametrize("path", AGENT_PAGES)
def test_an_end_user_session_gets_403_everywhere(end_user_client, path):
    response = end_user_client.get(path)
    assert response.status_code == 403
    assert "This workspace is for agents" in response.content.decode()


def test_an_end_user_cannot_open_a_ticket_not_even_their_own(end_user, end_user_client, agent):
    from buzon.tickets.models import Via
    from buzon.tickets.services import CommentInput, create_ticket

    own = create_ticket(
        actor=end_user, via=Via.WEB, fields={"subject": "Mine"}, comment=CommentInput(body="hi")
    )
    other = create_ticket(
        actor=agent, via=Via.WEB, fields={"subject": "Not mine"}, comment=CommentInput(body="x")
    )
    for ticket in (own, other):
        assert end_user_client.get(f"/tickets/{ticket.pk}/").status_code == 403
        assert end_user_client.get(f"/tickets/{ticket.pk}/events/").status_code == 403
        response = end_user_client.post(f"/tickets/{ticket.pk}/reply/", {"body": "x"})
        assert response.status_code == 403
    assert end_user_client.get(f"/users/{agent.pk}/").status_code == 403


def test_sign_out_is_a_post(agent_client):
    assert agent_client.get("/logout/").status_code == 405
    response = agent_client.post("/logout/")
    assert response.status_code == 302
    assert agent_client.get("/").status_code == 302


def test_the_users_language_is_used_after_sign_in(spanish_agent_client):
    response = spanish_agent_client.get("/", follow=True)
    content = response.content.decode()
    assert '<html lang="es">' in content
    assert "Vistas" in content


def test_the_language_switcher_changes_the_users_locale(agent, agent_client):
    response = agent_client.post(
        reverse("workspace:set_language"), {"locale": "es", "next": "/health/"}
    )
    assert response.status_code == 302 and response["Location"] == "/health/"
    agent.refresh_from_db()
    assert agent.locale == "es"
    assert "Salud de entrega" in agent_client.get("/health/").content.decode()


def test_the_language_switcher_refuses_an_outside_redirect(agent_client):
    response = agent_client.post(
        reverse("workspace:set_language"), {"locale": "es", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_preferences_set_language_and_time_zone(agent, agent_client, ticket):
    response = agent_client.post(
        "/preferences/", {"locale": "en", "time_zone": "America/Mexico_City"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.time_zone == "America/Mexico_City"
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    created = ticket.created_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Mexico_City"))
    assert created.strftime("%H:%M") in page


def test_an_unknown_time_zone_falls_back_to_utc(agent, agent_client):
    User.objects.filter(pk=agent.pk).update(time_zone="Mars/Olympus")
    assert agent_client.get("/health/").status_code == 200


def test_admins_use_the_workspace_too(client, db):
    admin = User.objects.create_user(
        "boss@helpdesk.test", "Boss", password=PASSWORD, role=Role.ADMIN
    )
    client.force_login(admin)
    assert client.get("/health/").status_code == 200
