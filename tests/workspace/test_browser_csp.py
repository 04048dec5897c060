"""Every page passes the Content-Security-Policy: no inline script, inline event
handler or style attribute anywhere, htmx included (Chromium reports each violation;
the `page` fixture fails a test on any)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from workspace.conftest import sign_in
from workspace.test_browser_delivery_failures import open_when_failed

pytestmark = pytest.mark.browser


def test_no_page_of_the_workspace_api_or_admin_breaks_the_policy(page, browser_server):
    ids = browser_server.ids
    page.goto(page.base + "/login/")
    expect(page.locator("h1")).to_have_text("Buzón")
    sign_in(page, "admin@helpdesk.test")
    pages = [
        "/",
        "/search/?q=tags:system_email_notification_failure",
        "/codes/",
        "/codes/550/",
        "/health/",
        "/preferences/",
        f"/users/{ids['pedro']}/",
        f"/tickets/{ids['some']}/",
        f"/tickets/{ids['xss']}/",
        f"/tickets/{ids['hostile_bounce']}/?log=events",
        "/settings/api-tokens/",
        "/settings/mailboxes/",
        "/api/v2/docs",
        "/admin/",
        "/admin/tickets/ticket/",
        f"/admin/tickets/ticket/{ids['some']}/change/",
        f"/admin/tickets/user/{ids['pedro']}/change/",
        "/admin/axes/accessattempt/",
    ]
    for path in pages:
        response = page.goto(page.base + path)
        assert response.status == 200, path
        assert "Content-Security-Policy" in {k.title() for k in response.headers}, path
        page.wait_for_load_state("networkidle")

    # htmx at work: the events log swapped in, the view counts polled, a popover open.
    page.goto(f"{page.base}/tickets/{ids['some']}/")
    page.click(".log-toggle [data-log='events']")
    expect(page.locator("#log")).to_be_visible()
    open_when_failed(page, ids["one"])
    page.locator("button.warn").first.click()
    expect(page.locator("[popover]:popover-open")).to_have_count(1)
    assert page.csp_violations == []
