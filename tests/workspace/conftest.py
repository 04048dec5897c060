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


# --- Browser tests ------------------------------------------------------------------
# Chromium from Debian (never `playwright install`), the real server in a subprocess.

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT_DIR_ENV = "BUZON_SCREENSHOTS"


@pytest.fixture(scope="session")
def browser_server(tmp_path_factory):
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Run `make test` as root "
            "(scripts/system-packages.sh installs Debian's chromium)."
        )
    from workspace.browser_server import running_server

    with running_server(tmp_path_factory.mktemp("browser-server")) as server:
        yield server


@pytest.fixture(scope="session")
def chromium(browser_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, browser_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = browser_server.url  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.js_errors = errors  # type: ignore[attr-defined]
    violations = watch_content_security_policy(page)
    page.csp_violations = violations  # type: ignore[attr-defined]
    yield page
    context.close()
    # No page may break the Content-Security-Policy (inline script, event handler or
    # style attribute): each would be a feature the policy silently switches off.
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def watch_content_security_policy(page) -> list[str]:
    """Collect every CSP violation the browser reports, on every page the test opens:
    the `securitypolicyviolation` event (through a binding, which survives
    navigation) and Chromium's console message for it."""
    violations: list[str] = []
    page.expose_binding(
        "__buzonCspViolation",
        lambda source, text: violations.append(f"{source['frame'].url}: {text}"),
    )
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", function (e) {
          window.__buzonCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
            + " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
        }, true);"""
    )
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return violations


def sign_in(page, email: str = "agent@helpdesk.test") -> None:
    from workspace.browser_seed import PASSWORD as BROWSER_PASSWORD

    page.goto(page.base + "/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", BROWSER_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("load")


def screenshot(page, name: str, **kwargs) -> None:
    """Save a screenshot; into docs/screenshots/ when BUZON_SCREENSHOTS=docs."""
    import os
    from pathlib import Path

    if os.environ.get(SCREENSHOT_DIR_ENV) == "docs":
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        target = Path(os.environ.get("TMPDIR", "/tmp")) / "buzon-screenshots"
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), **kwargs)
