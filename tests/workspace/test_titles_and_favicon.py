"""Every page names itself in its <title>; /favicon.ico and the icon link resolve."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from buzon.rules.models import Trigger, View


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "no <title>"
    return " ".join(match.group(1).split())


def test_favicon_ico_leads_to_the_icon_every_page_links(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    target = response["Location"]
    assert target.endswith("workspace/favicon.svg")
    assert finders.find("workspace/favicon.svg") is not None
    login = client.get("/login/").content.decode()
    assert f'<link rel="icon" href="{target}" type="image/svg+xml">' in login


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_page_has_its_own_title(admin_user, ticket, language):
    admin_user.locale = language
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    view = View.objects.filter(active=True).first()
    trigger = Trigger.objects.first()
    urls = [
        f"/tickets/{ticket.pk}/", f"/users/{ticket.requester_id}/", f"/views/{view.pk}/",
        f"/triggers/{trigger.pk}/", "/search/?q=factura", "/codes/", "/codes/5.1.1/",
        "/health/", "/settings/mailboxes/", "/preferences/", "/settings/api-tokens/",
    ]  # fmt: skip
    titles = {url: _title(client.get(url).content.decode()) for url in urls}
    titles["/login/"] = _title(
        Client(HTTP_ACCEPT_LANGUAGE=language).get("/login/").content.decode()
    )
    for url, title in titles.items():
        assert title.endswith(" · Buzón"), (url, title)
        assert title not in ("Workspace · Buzón", "Espacio de trabajo · Buzón"), url
    assert len(set(titles.values())) == len(titles), titles
    assert titles[f"/tickets/{ticket.pk}/"] == f"#{ticket.pk} Factura duplicada · Buzón"


def test_the_api_tokens_page_is_inside_the_workspace(agent_client):
    html = agent_client.get("/settings/api-tokens/").content.decode()
    assert 'class="topbar"' in html and 'aria-current="page">API tokens</a>' in html
    assert "workspace.css" in html and "<h1>API tokens</h1>" in html
