"""Each delivery state looks and reads differently, in the glossary's words, in English
and Spanish (the states are seeded by workspace.delivery_states)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import translation
from playwright.sync_api import expect

from buzon.workspace import glossary
from buzon.workspace.delivery_summary import RecipientStatus
from workspace.conftest import screenshot, sign_in
from workspace.delivery_states import RECIPIENTS

pytestmark = pytest.mark.browser

STATES = [state for _, state in RECIPIENTS.values()]
NAME = {state: name for name, state in RECIPIENTS.values()}


def _look(page, state: str) -> dict[str, str]:
    """What a reader sees of one recipient: the colour of their name, the icon next to
    it and its words (visible or read aloud)."""
    item = page.locator(f".delivery li.recipient[data-state='{state}']")
    expect(item).to_have_count(1)
    return item.evaluate(
        """li => ({
          color: getComputedStyle(li.querySelector('.name')).color,
          decoration: getComputedStyle(li.querySelector('.name')).textDecorationLine,
          icon: [...li.querySelectorAll('svg.icon')].map(s => s.getAttribute('class')).join(' '),
          words: (li.querySelector('button') || {}).ariaLabel || li.innerText,
        })"""
    )


def _expected(language: str, suppressed_since: datetime) -> dict[str, str]:
    """The glossary's sentence for each failed or retrying recipient of the seed."""
    refusal = dict(reply_code="550", enhanced_status="5.1.1", reason="userunknown")
    full = dict(reply_code="452", enhanced_status="4.2.2")
    with translation.override(language):
        return {
            "refused": glossary.headline(RecipientStatus(
                email="rechazo@example.com", name=NAME["refused"], state="failed",
                failure_source="dsn", **refusal)),
            "expired": glossary.headline(RecipientStatus(
                email="lleno@example.com", name=NAME["expired"], state="failed",
                failure_source="expired", reason="expired", **full)),
            "suppressed": glossary.headline(RecipientStatus(
                email="suprimida@example.com", name=NAME["suppressed"], state="failed",
                failure_source="suppressed", suppressed_since=suppressed_since, **refusal)),
            "deferred": glossary.headline(RecipientStatus(
                email="lento@example.com", name=NAME["deferred"], state="deferred", **full)),
            "queued": glossary.state_label("queued"),
            "handed_off": glossary.state_label("handed_off"),
            "delivered": glossary.state_label("delivered"),
        }  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_state_is_distinct_and_worded_from_the_glossary(page, browser_server, language):
    sign_in(page, "lucia@helpdesk.test")
    if language == "es":
        page.get_by_role("button", name="ES", exact=True).click()
    try:
        page.goto(f"{page.base}/tickets/{browser_server.ids['states_ticket']}/")
        looks = {state: _look(page, state) for state in STATES}
        # Visibly distinct: no two states share colour, icon and words.
        assert len({(v["color"], v["decoration"], v["icon"]) for v in looks.values()}) == len(
            STATES
        ), looks
        assert len({v["words"] for v in looks.values()}) == len(STATES)
        # A copy never sent looks unlike a refusal: another icon, another colour.
        assert "icon-blocked" in looks["suppressed"]["icon"]
        assert "icon-warning" in looks["refused"]["icon"]
        assert looks["suppressed"]["color"] != looks["refused"]["color"]

        since_attr = page.locator(".failure-popover dd.since time").first.get_attribute("datetime")
        expected = _expected(language, datetime.fromisoformat(since_attr))
        summary = page.locator(".failure-summary")
        for state in ("refused", "expired", "suppressed"):
            expect(summary.locator(f".failure-line.state-{state}")).to_contain_text(expected[state])
        deferred = page.locator(".delivery li.recipient[data-state='deferred']")
        expect(deferred).to_contain_text(expected["deferred"])
        expect(deferred).to_contain_text("452 4.2.2")
        with translation.override(language):
            next_try = translation.gettext("next try %(when)s") % {"when": ""}
        expect(deferred).to_contain_text(next_try.strip())
        expect(page.locator(".delivery li.recipient[data-state='queued']")).to_contain_text(
            expected["queued"]
        )
        for state in ("handed_off", "delivered"):
            ok = page.locator(f".delivery li.recipient[data-state='{state}'] .state-note.ok")
            expect(ok).to_have_attribute("title", expected[state])

        # The suppressed copy's popover: its own title, since when, the server's words
        # of the failure that caused it in their own box.
        page.locator(".delivery li.recipient[data-state='suppressed'] button.warn").click()
        popover = page.locator(".failure-popover:popover-open")
        with translation.override(language):
            suppressed = RecipientStatus(
                email="s", name=NAME["suppressed"], state="failed", failure_source="suppressed"
            )
            title = glossary.popover_title(suppressed)
        expect(popover.locator("h3")).to_have_text(title)
        expect(popover.locator("pre.diagnostic")).to_have_text(
            "550 5.1.1 <suprimida@example.com>: Recipient address rejected: no such user"
        )
        screenshot(page, f"delivery-states-popover-{language}")
        page.keyboard.press("Escape")
        screenshot(page, f"delivery-states-{language}", full_page=True)

        # The events log words each failure the same way.
        page.goto(f"{page.base}/tickets/{browser_server.ids['states_ticket']}/?log=events")
        log = page.locator("#log")
        for state in ("refused", "expired", "suppressed"):
            event = log.locator(f".ev-delivery-failure[data-state='{state}']")
            expect(event).to_contain_text(expected[state])
        expect(
            log.locator(".ev-delivery-failure[data-state='suppressed'] svg.icon-blocked")
        ).to_have_count(1)
        screenshot(page, f"delivery-states-events-{language}", full_page=True)
    finally:
        if language == "es":
            page.get_by_role("button", name="EN", exact=True).click()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_profile_and_the_api_tokens_page_in_the_workspace(page, browser_server, language):
    sign_in(page, "lucia@helpdesk.test")
    if language == "es":
        page.get_by_role("button", name="ES", exact=True).click()
    try:
        with translation.override(language):
            suppressed_since = translation.gettext("Suppressed since %(since)s") % {"since": ""}
            tokens = translation.gettext("API tokens")
        page.goto(f"{page.base}/tickets/{browser_server.ids['states_ticket']}/")
        page.locator("aside a, .properties a", has_text=NAME["suppressed"]).first.click()
        identity = page.locator("tr[data-address='suprimida@example.com'] .suppression")
        expect(identity).to_contain_text(suppressed_since.strip())
        expect(identity.locator("svg.icon-blocked")).to_have_count(1)
        screenshot(page, f"profile-{language}", full_page=True)
        page.get_by_role("link", name=tokens, exact=True).click()
        expect(page.locator("header.topbar")).to_be_visible()
        expect(page.get_by_role("link", name=tokens, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator("h1")).to_have_text(tokens)
        expect(page).to_have_title(f"{tokens} · Buzón")
        screenshot(page, f"api-tokens-{language}")
    finally:
        if language == "es":
            page.get_by_role("button", name="EN", exact=True).click()
