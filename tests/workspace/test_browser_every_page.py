"""Every main page of the workspace, in English and in Spanish, in a real browser: it
opens in the agent's language (the document's `lang`, its title and its navigation in
that language's words), with no script error. With BUZON_SCREENSHOTS=docs each page is
saved as docs/screenshots/<page>-<language>.png."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from workspace.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# (screenshot name, path, whether to take the whole page)
PAGES = [
    ("views", "/", False),
    ("ticket", "/tickets/{some}/", True),
    ("events-log", "/tickets/{some}/?log=events", True),
    ("new-ticket", "/tickets/new/", False),
    ("search", "/search/?q=status%3Copen", False),
    ("health", "/health/", True),
    ("code-reference", "/codes/", False),
    ("deliverability", "/settings/deliverability/", False),
    ("preferences", "/preferences/", False),
]


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_main_page_in_the_agents_language(page, browser_server, language):
    sign_in(page, "lucia@helpdesk.test")
    if language == "es":
        page.get_by_role("button", name="ES", exact=True).click()
    with translation.override(language):
        nav_word = translation.gettext("Delivery health")
    try:
        for name, path, full_page in PAGES:
            page.goto(page.base + path.format(some=browser_server.ids["some"]))
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page).to_have_title(re.compile(r".+ · Buzón$"))
            expect(page.locator("header.topbar nav")).to_contain_text(nav_word)
            assert page.js_errors == [], (name, page.js_errors)
            screenshot(page, f"{name}-{language}", full_page=full_page)
    finally:
        if language == "es":
            page.get_by_role("button", name="EN", exact=True).click()
