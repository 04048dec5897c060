"""Delivery failures end to end: the real worker sends through the sandbox mail server,
which refuses some addresses; the browser checks what the agent sees.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from workspace.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# The worker may defer a first attempt (e.g. a busy relay) and retry it shortly after.
SETTLE_SECONDS = 120


def open_when_failed(page, ticket_id: int) -> None:
    """Open the ticket page, reloading until the worker has settled every delivery
    (a failure is shown and no recipient is still queued, being sent or deferred)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        page.goto(f"{page.base}/tickets/{ticket_id}/")
        settled = (
            page.locator(".failure-summary").count()
            and not page.locator(
                ".delivery .state-note.pending, .delivery .state-note.deferred,"
                " .delivery .recipient.state-untracked"
            ).count()
        )
        if settled or time.monotonic() > deadline:
            return
        time.sleep(1)


def test_one_recipient_failed(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["one"])
    summary = page.locator(".failure-summary")
    expect(summary).to_contain_text("The address does not exist")
    expect(summary.locator("code")).to_have_text("550 5.1.1")
    screenshot(page, "ticket-one-recipient-failed")


def test_all_recipients_failed(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["all"])
    expect(page.locator(".failure-summary .headline")).to_have_text("Failed to deliver")
    expect(page.locator(".delivery button.warn")).to_have_count(2)
    screenshot(page, "ticket-all-recipients-failed")


def test_some_recipients_failed_and_only_they_get_an_icon(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["some"])
    expect(page.locator(".failure-summary .headline")).to_have_text(
        "Failed to deliver to some recipients"
    )
    icons = page.locator(".delivery button.warn")
    expect(icons).to_have_count(1)
    failed = page.locator(".delivery li.recipient", has=page.locator("button.warn"))
    expect(failed).to_contain_text("nobody@void.example")
    screenshot(page, "ticket-some-recipients-failed")


def test_the_popover_by_keyboard(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["one"])
    button = page.locator(".delivery button.warn").first
    button.focus()
    page.keyboard.press("Enter")
    popover = page.locator(".failure-popover:popover-open")
    expect(popover).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(popover).to_contain_text("Failed to deliver to Nadie Existe")
    expect(popover).to_contain_text("550")
    expect(popover).to_contain_text("5.1.1")
    expect(popover.locator("pre.diagnostic")).not_to_be_empty()
    expect(popover).to_contain_text("What you can do")
    expect(popover).to_contain_text("Check the address for typos")
    expect(
        popover.get_by_role("link", name=re.compile("What does 550 5.1.1 mean"))
    ).to_have_attribute("href", "/codes/5.1.1/")
    screenshot(page, "popover")
    page.keyboard.press("Escape")
    expect(page.locator(".failure-popover:popover-open")).to_have_count(0)


def test_the_tag_the_view_count_and_the_events_log(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["all"])
    expect(page.locator(".properties .tags")).to_contain_text("system_email_notification_failure")
    page.get_by_role("link", name="Events").click()
    log = page.locator("#log.events-log")
    failure = log.locator(".ev-delivery-failure", has_text="nobody@invalid.example")
    expect(failure).to_contain_text("550 5.1.1")
    expect(failure).to_contain_text("The address does not exist")
    expect(
        failure.get_by_role("link", name="Notify requester of new proactive ticket")
    ).to_be_visible()
    expect(log.locator(".ev-delivery-failure", has_text="llena@example.net")).to_contain_text(
        "552 5.2.2"
    )
    screenshot(page, "events-log-failures", full_page=True)
    page.goto(page.base + "/")
    link = page.locator("nav.sidebar a", has_text="Tickets with email delivery failures")
    # one, all, some, typo, and the hostile bounce
    expect(link.locator(".count")).to_have_text("5")


def test_search_finds_exactly_the_failing_tickets(page, browser_server):
    sign_in(page)
    for key in ("one", "all", "some"):
        open_when_failed(page, browser_server.ids[key])
    page.keyboard.press("/")
    page.keyboard.type("tags:system_email_notification_failure")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=tags"))
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(5)
    ids = sorted(int(r.get_attribute("data-href").strip("/").split("/")[-1]) for r in rows.all())
    expected = sorted(
        browser_server.ids[k] for k in ("one", "all", "some", "typo", "hostile_bounce")
    )
    assert ids == expected


def test_fix_the_typo_reply_and_see_the_new_delivery_handed_off(page, browser_server):
    sign_in(page)
    open_when_failed(page, browser_server.ids["typo"])
    page.locator(".delivery button.warn").first.click()
    popover = page.locator(".failure-popover:popover-open")
    expect(popover).to_contain_text("pedro@gmail.com")
    popover.get_by_role("link", name="Correct it in the profile").click()
    page.get_by_role("button", name="Use pedro@gmail.com").click()
    page.goto(f"{page.base}/tickets/{browser_server.ids['typo']}/")
    page.fill("#id_body", "Reenvío con la dirección corregida.")
    page.click("form.composer button[type=submit]")
    last = page.locator("article.comment.public").last
    deadline = time.monotonic() + SETTLE_SECONDS
    while not last.locator(".state-note.ok").count() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
        last = page.locator("article.comment.public").last
    expect(
        last.locator("li.recipient", has_text="pedro@gmail.com").locator(".state-note.ok")
    ).to_have_count(1)


def test_spanish_wording(page, browser_server):
    sign_in(page, "lucia@helpdesk.test")
    page.get_by_role("button", name="ES", exact=True).click()
    open_when_failed(page, browser_server.ids["all"])
    expect(page.locator(".failure-summary .headline")).to_have_text("No se pudo entregar")
    page.goto(f"{page.base}/tickets/{browser_server.ids['some']}/")
    expect(page.locator(".failure-summary .headline")).to_have_text(
        "No se pudo entregar a algunos destinatarios"
    )
    page.goto(f"{page.base}/tickets/{browser_server.ids['one']}/")
    expect(page.locator(".failure-summary")).to_contain_text("La dirección no existe")
    expect(page.locator(".failure-summary")).to_contain_text("550 5.1.1")
    screenshot(page, "ticket-spanish")
    page.get_by_role("button", name="EN", exact=True).click()


def test_a_hostile_diagnostic_is_shown_as_text_and_never_runs(page, browser_server):
    from workspace.browser_seed import HOSTILE_DIAGNOSTIC

    sign_in(page)
    page.goto(f"{page.base}/tickets/{browser_server.ids['hostile_bounce']}/")
    page.locator(".delivery button.warn").first.click()
    popover = page.locator(".failure-popover:popover-open")
    expect(popover.locator("pre.diagnostic")).to_have_text(HOSTILE_DIAGNOSTIC)
    expect(popover).to_contain_text("Email provider")
    page.goto(f"{page.base}/tickets/{browser_server.ids['hostile_bounce']}/?log=events")
    expect(page.locator(".ev-delivery-failure pre.diagnostic")).to_have_text(HOSTILE_DIAGNOSTIC)
    page.goto(f"{page.base}/health/")
    page.goto(f"{page.base}/users/{browser_server.ids['hostile_bounce_user']}/")
    assert page.evaluate("window.__xss") is None
    assert not [e for e in page.js_errors if "dialog" in e]


def test_an_unverified_report_is_shown_and_accepted_with_one_click(page, browser_server):
    sign_in(page)
    ticket_id = browser_server.ids["unverified"]
    page.goto(f"{page.base}/tickets/{ticket_id}/")
    expect(page.locator(".failure-summary")).to_have_count(0)  # it changed nothing
    button = page.locator(".delivery button.unverified")
    expect(button).to_have_count(1)
    button.click()
    popover = page.locator(".unverified-popover:popover-open")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("An unverified bounce from eve@evil.example says 550 5.1.1")
    screenshot(page, "unverified-report")
    popover.get_by_role("button", name="Accept this report").click()
    expect(page.locator(".messages")).to_contain_text("Report accepted and recorded.")
    expect(page.locator(".failure-summary")).to_contain_text("The address does not exist")
    expect(page.locator("ul.who-acts")).to_contain_text("The address is wrong")
    page.goto(f"{page.base}/tickets/{ticket_id}/?log=events")
    expect(page.locator(".events-log")).to_contain_text("accepted by Alicia Agente")
