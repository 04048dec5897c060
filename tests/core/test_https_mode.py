"""HTTPS mode: behind a TLS-terminating proxy, one setting turns on secure cookies,
HSTS, the redirect to HTTPS, the proxy's X-Forwarded-Proto and the base URL as a
trusted origin; `buzon check --deploy` is clean. And the Content-Security-Policy."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from helpers import free_port, wait_for_http

BUZON = [sys.executable, "-m", "buzon.cli"]
HOST = "support.example.test"


def environment(tmp_path, **extra: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BUZON_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    return {
        **clean,
        "BUZON_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **extra,
    }


@pytest.mark.parametrize(
    "extra",
    [{"BUZON_HTTPS": "true"}, {"BUZON_BASE_URL": f"https://{HOST}"}],
    ids=["BUZON_HTTPS", "https-base-url"],
)
def test_check_deploy_is_clean_in_https_mode(tmp_path, extra):
    result = subprocess.run(
        [*BUZON, "check", "--deploy", "--fail-level", "WARNING"],
        env=environment(tmp_path, **extra),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_https_mode(tmp_path):
    result = subprocess.run(
        [*BUZON, "check", "--deploy", "--fail-level", "WARNING"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stderr


@pytest.fixture
def proxied_buzon(tmp_path):
    """gunicorn serving Buzón in HTTPS mode, as it runs behind a TLS-terminating
    proxy; the test talks to it as the proxy does."""
    env = environment(tmp_path, BUZON_BASE_URL=f"https://{HOST}")
    subprocess.run([*BUZON, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [
            *BUZON, "shell", "-c",
            "from buzon.tickets.models import User, Role; "
            "User.objects.create_user('alicia@helpdesk.test', 'Alicia', "
            "password='correct-horse-battery', role=Role.AGENT)",
        ],
        env=env,
        check=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "buzon.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    response.read_body = response.read()
    connection.close()
    return response


def test_behind_the_proxy_sign_in_works_with_secure_cookies_and_hsts(proxied_buzon):
    port = proxied_buzon
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}

    # Plain HTTP (no proxy saying https) is sent to HTTPS; the health check is not.
    plain = request(port, "GET", "/login/")
    assert plain.status in (301, 302) and plain.getheader("Location") == f"https://{HOST}/login/"
    assert request(port, "GET", "/healthz").status == 200

    page = request(port, "GET", "/login/", proxy)
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    csrf_cookie = SimpleCookie(page.getheader("Set-Cookie"))["csrftoken"]
    assert csrf_cookie["secure"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read_body)[1]

    signed_in = request(
        port,
        "POST",
        "/login/",
        {
            **proxy,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/login/",
            "Cookie": f"csrftoken={csrf_cookie.value}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        urlencode(
            {
                "csrfmiddlewaretoken": token.decode(),
                "username": "alicia@helpdesk.test",
                "password": "correct-horse-battery",
            }
        ),
    )
    assert signed_in.status == 302, signed_in.read_body[:500]
    cookies = [v for k, v in signed_in.getheaders() if k.lower() == "set-cookie"]
    session = next(c for c in cookies if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session


def test_every_page_carries_a_content_security_policy_without_inline_exceptions(client, db):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
