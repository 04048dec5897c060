"""The layout's navigation and shortcut help, rendered once per language and page
kind (workspace.templatetags.layout), still show each page its own state."""

from __future__ import annotations

from django.test import Client

from buzon.tickets.models import Role, User
from workspace.conftest import PASSWORD


def nav_of(client: Client, path: str) -> str:
    html = client.get(path).content.decode()
    return html[html.index("<nav") : html.index("</nav>")]


def client_for(role: str, locale: str = "en", email: str = "") -> Client:
    email = email or f"{role}-{locale}@helpdesk.test"
    user = User.objects.create_user(email, "Someone", password=PASSWORD, role=role, locale=locale)
    client = Client()
    client.force_login(user)
    return client


def test_the_current_page_is_marked_on_each_page(db):
    admin = client_for(Role.ADMIN)
    new_ticket = nav_of(admin, "/tickets/new/")
    assert 'href="/tickets/new/" aria-current="page"' in new_ticket
    setup = nav_of(admin, "/settings/deliverability/")
    assert 'href="/settings/deliverability/" aria-current="page"' in setup
    assert 'href="/tickets/new/" aria-current' not in setup
    assert "aria-current" not in nav_of(admin, "/codes/")


def test_only_admins_see_the_sending_setup_whoever_came_first(db):
    admin = client_for(Role.ADMIN)
    agent = client_for(Role.AGENT)
    assert "/settings/deliverability/" in nav_of(admin, "/codes/")
    assert "/settings/deliverability/" not in nav_of(agent, "/codes/")
    assert "/settings/deliverability/" in nav_of(admin, "/codes/")


def test_each_language_gets_its_own_navigation_and_shortcut_help(db):
    english = client_for(Role.AGENT, "en")
    spanish = client_for(Role.AGENT, "es")
    assert "Delivery health" in nav_of(english, "/codes/")
    spanish_page = spanish.get("/codes/").content.decode()
    assert "Delivery health" not in spanish_page
    assert "Keyboard shortcuts" not in spanish_page
    assert "Keyboard shortcuts" in english.get("/codes/").content.decode()


def test_every_page_keeps_its_own_csrf_token_and_user(db):
    first = client_for(Role.AGENT, email="first@helpdesk.test")
    second = client_for(Role.AGENT, email="second@helpdesk.test")
    User.objects.filter(email="second@helpdesk.test").update(name="Second Agent")
    first.get("/codes/")
    page = second.get("/codes/")
    assert "Second Agent" in page.content.decode()
    assert page.context["csrf_token"] and str(page.context["csrf_token"]) in page.content.decode()
