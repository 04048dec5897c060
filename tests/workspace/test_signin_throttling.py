"""Password guessing at the sign-in page is throttled per account and per client
address (django-axes), says so in the user's language, and an admin can unlock."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from buzon.tickets.models import Role, User
from workspace.conftest import PASSWORD

LIMIT = 5  # BUZON_SIGNIN_FAILURE_LIMIT's default: the fifth failure locks


@pytest.fixture
def alicia(db) -> User:
    return User.objects.create_user(
        "alicia@helpdesk.test", "Alicia", password=PASSWORD, role=Role.AGENT
    )


def sign_in(client: Client, email: str, password: str, address: str = "198.51.100.7", **extra):
    return client.post(
        "/login/", {"username": email, "password": password}, REMOTE_ADDR=address, **extra
    )


def test_after_a_few_wrong_passwords_even_the_right_one_is_refused_for_a_while(client, alicia):
    for _ in range(LIMIT - 1):
        response = sign_in(client, alicia.email, "guess")
        assert response.status_code == 200
        assert "do not match an account" in response.content.decode()
    assert sign_in(client, alicia.email, "guess").status_code == 429
    refused = sign_in(client, alicia.email, PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert int(refused["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session

    # The lock-out ends 15 minutes after the last attempt.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, alicia.email, PASSWORD).status_code == 302


def test_the_lock_out_is_per_account_whatever_the_address_or_the_case(client, alicia):
    for n in range(LIMIT):
        sign_in(client, alicia.email.upper() if n % 2 else alicia.email, "x", f"203.0.113.{n}")
    refused = sign_in(Client(), "Alicia@Helpdesk.TEST", PASSWORD, "192.0.2.200")
    assert refused.status_code == 429
    # Other accounts are not affected.
    User.objects.create_user("bruno@helpdesk.test", "Bruno", password=PASSWORD, role=Role.AGENT)
    assert sign_in(Client(), "bruno@helpdesk.test", PASSWORD, "192.0.2.201").status_code == 302


def test_the_lock_out_is_per_client_address_whatever_the_account(client, alicia):
    for n in range(LIMIT):
        sign_in(client, f"nobody{n}@helpdesk.test", "x", "198.51.100.99")
    assert sign_in(client, alicia.email, PASSWORD, "198.51.100.99").status_code == 429
    assert sign_in(Client(), alicia.email, PASSWORD, "198.51.100.100").status_code == 302


def test_the_message_is_in_spanish_for_a_spanish_browser(client, alicia):
    for _ in range(LIMIT):
        sign_in(client, alicia.email, "x", HTTP_ACCEPT_LANGUAGE="es")
    refused = sign_in(client, alicia.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 429
    assert "Demasiados intentos fallidos" in refused.content.decode()


def test_behind_the_https_proxy_the_client_is_the_address_the_proxy_added(client, alicia, settings):
    settings.HTTPS = True
    settings.SECURE_SSL_REDIRECT = False
    for n in range(LIMIT):
        # The client writes whatever it likes first; the proxy appends the real address.
        sign_in(
            client,
            f"nobody{n}@helpdesk.test",
            "x",
            "127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.50",
        )
    blocked = sign_in(
        client, alicia.email, PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.50"
    )
    assert blocked.status_code == 429
    other = sign_in(
        Client(), alicia.email, PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.51"
    )
    assert other.status_code == 302


def test_an_admin_unlocks_an_account_from_the_admin_site(client, alicia, admin_user):
    for _ in range(LIMIT):
        sign_in(client, alicia.email, "x")
    assert sign_in(client, alicia.email, PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(admin_user)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and alicia.email in listing.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    confirm = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert confirm.status_code == 302
    assert sign_in(client, alicia.email, PASSWORD).status_code == 302


def test_the_admin_sign_in_page_is_throttled_too(client, admin_user):
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": admin_user.email, "password": "x"})
    refused = client.post(
        "/admin/login/", {"username": admin_user.email, "password": "s3cret-pass"}
    )
    assert refused.status_code == 429


# --- Password validators --------------------------------------------------------------


def _converse(argv: list[str], answers: list[tuple[bytes, bytes]], env: dict) -> str:
    """Run a command on a pseudo-terminal (getpass reads from the terminal), answering
    each prompt as it appears; everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execve(argv[0], argv, env)
    seen = b""
    pending = list(answers)
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            while pending and pending[0][0] in seen.rsplit(b"\n", 1)[-1]:
                os.write(fd, pending.pop(0)[1] + b"\n")
                seen += b"\n"
    finally:
        os.waitpid(pid, 0)
    return seen.decode(errors="replace")


def test_createsuperuser_refuses_weak_passwords_with_djangos_standard_validators(tmp_path):
    env = {
        **os.environ,
        "BUZON_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    argv = [sys.executable, "-m", "buzon.cli"]
    subprocess.run([*argv, "migrate", "-v0"], env=env, check=True)
    output = _converse(
        [*argv, "createsuperuser"],
        [
            (b"Email", b"root@helpdesk.test"),
            (b"Name", b"Root"),
            (b"Password:", b"12345678"),
            (b"Password (again)", b"12345678"),
            (b"Bypass password validation", b"N"),
            (b"Password:", b"buzon-demo-root-2024"),
            (b"Password (again)", b"buzon-demo-root-2024"),
        ],
        env,
    )
    assert "This password is too common." in output
    assert "This password is entirely numeric." in output
    assert "Superuser created successfully." in output
