"""The address check in a real browser (Debian's Chromium): typing an address in the
profile shows, next to the field, the typo suggestion (with a button that applies it)
and a flag for a domain that cannot receive mail, answered by a real DNS server; the
composer flags a CC whose domain does not exist. The page's script is a static file."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from buzon.tickets.models import Role, User, Via
from buzon.tickets.services import CommentInput, create_ticket

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"

pytestmark = [
    pytest.mark.browser,
    # The live server sees committed rows only; serialized_rollback puts back the
    # standard triggers and views (a data migration) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs {CHROMIUM} (Debian's chromium)"
    ),
]

ZONE = """
@          MX 10 mx.customers.example.
mx         A 192.0.2.25
nomail     MX 0 .
"""


@pytest.fixture
def page(live_server, dns_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM
    # calls are plain synchronous ones (the server runs in its own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    dns_server({"customers.example": ZONE})
    User.objects.create_user("alicia@helpdesk.test", "Alicia", password=PASSWORD, role=Role.AGENT)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "alicia@helpdesk.test")
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.base = live_server.url  # type: ignore[attr-defined]
        yield page
        assert errors == []
        browser.close()


def test_typing_an_address_in_the_profile_checks_it(page):
    pedro = User.objects.create_user("pedro@customers.example", "Pedro")
    page.goto(f"{page.base}/users/{pedro.pk}/")
    field = page.locator("#id_address")
    result = page.locator("#id_address-check")

    field.fill("pedro@nomail.customers.example")
    expect(result).to_contain_text(
        "nomail.customers.example accepts no email (it publishes a null MX)."
    )
    field.fill("pedro@gmial.com")
    expect(result).to_contain_text("Did you mean pedro@gmail.com?")
    expect(result).not_to_contain_text("accepts no email")
    result.get_by_role("button", name="Use pedro@gmail.com").click()
    expect(field).to_have_value("pedro@gmail.com")
    field.fill("pedro@customers.example")
    expect(result).to_be_empty()

    # The form still posts, whatever the check said.
    field.fill("pedro@nomail.customers.example")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Address added.")
    expect(page.locator(".messages")).to_contain_text("accepts no email")
    assert pedro.identities.filter(value="pedro@nomail.customers.example").exists()


def test_the_composer_flags_a_cc_whose_domain_does_not_exist(page):
    agent = User.objects.get(email="alicia@helpdesk.test")
    ana = User.objects.create_user("ana@customers.example", "Ana")
    gone = User.objects.create_user("luis@gone.customers.example", "Luis")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Hola", "requester_id": ana.pk, "email_cc_ids": [gone.pk]},
        comment=CommentInput(body="Hola"),
    )
    page.goto(f"{page.base}/tickets/{ticket.pk}/")
    luis = page.locator('.to-line .recipient[data-email="luis@gone.customers.example"]')
    expect(luis.locator(".domain-flag")).to_have_text(
        "The domain gone.customers.example does not exist: email to it cannot be delivered."
    )
    ana_line = page.locator('.to-line .recipient[data-email="ana@customers.example"]')
    expect(ana_line).not_to_contain_text(re.compile("does not exist|accepts no"))
