"""Automated accessibility check (axe-core) of the main workspace pages, in Chromium.

axe-core is the npm package, fetched once with `npm pack` at a pinned version into a
cache directory (BUZON_AXE_CACHE, default ~/.cache/buzon) and injected into each page.
Injection needs a context that bypasses the Content-Security-Policy (the policy
rightly refuses a script the page did not ship); only this test uses one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from workspace.conftest import CHROMIUM

pytestmark = pytest.mark.browser

AXE_VERSION = "4.14.1"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    cache = Path(os.environ.get("BUZON_AXE_CACHE", Path.home() / ".cache" / "buzon"))
    script = cache / f"axe-core-{AXE_VERSION}.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("!! AXE CHECK SKIPPED: npm is missing (scripts/system-packages.sh)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"],
            cwd=tmp,
            check=True,
            timeout=180,
            capture_output=True,
        )
        with tarfile.open(next(Path(tmp).glob("axe-core-*.tgz"))) as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None
            code = member.read()
    cache.mkdir(parents=True, exist_ok=True)
    script.write_bytes(code)
    return script


@pytest.fixture
def axe_page(chromium, browser_server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium")
    context = chromium.new_context(
        viewport={"width": 1280, "height": 860}, locale="en-US", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = browser_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def violations(page, axe_script: Path) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document);
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
          }));
        }"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def main_pages(browser_server) -> list[str]:
    ids = browser_server.ids
    return [
        "/",
        f"/tickets/{ids['one']}/",
        f"/tickets/{ids['some']}/?log=events",
        "/tickets/new/",
        f"/users/{ids['pedro']}/",
        "/search/?q=invalid",
        "/health/",
    ]


@pytest.mark.parametrize("language", ["EN", "ES"])
def test_the_main_pages_have_no_serious_accessibility_violation(
    axe_page, browser_server, axe_script, language
):
    from workspace.conftest import sign_in

    page = axe_page
    sign_in(page, "lucia@helpdesk.test" if language == "ES" else "agent@helpdesk.test")
    if language == "ES":
        page.get_by_role("button", name="ES", exact=True).click()
    try:
        problems = {}
        for path in main_pages(browser_server):
            page.goto(page.base + path)
            page.wait_for_load_state("load")
            found = violations(page, axe_script)
            if found:
                problems[path] = found
        assert problems == {}, problems
    finally:
        if language == "ES":
            page.get_by_role("button", name="EN", exact=True).click()
