"""`buzon run`: the whole embedded system in one command (what `make run` calls).

Migrates, loads demo data into an empty database, then starts and supervises:
the web UI (gunicorn, a production WSGI server), and every other long-running
Buzón process that exists as a management command — the sandbox mail server,
the inbound SMTP server and the worker — and the IMAP reader when mailboxes are
configured.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from buzon.core.demo import DEMO_PASSWORD
from buzon.core.supervisor import Child, Supervisor
from buzon.tickets.models import Ticket

# Long-running commands `run` starts when they exist, in this order.
OPTIONAL_PROCESSES = ["sandbox", "smtpd", "worker"]


def _mailboxes_configured() -> bool:
    """Any IMAP mailbox to read (BUZON_IMAP_MAILBOXES, or added on the settings page)?"""
    from buzon.mail.inbound.mailboxes import any_configured

    return any_configured()


class Command(BaseCommand):
    help = "Migrate, load demo data if empty, and run web, SMTP, worker and sandbox."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not Ticket.objects.exists():
            call_command("load_demo")
        children = [self._web()] + [
            Child(name, [sys.executable, "-m", "buzon.cli", name])
            for name in OPTIONAL_PROCESSES
            if name in get_commands() and (name != "sandbox" or settings.SANDBOX_ENABLED)
        ]
        if "imap" in get_commands() and _mailboxes_configured():
            children.append(Child("imap", [sys.executable, "-m", "buzon.cli", "imap"]))
        self._banner(children)
        sys.exit(Supervisor(children).run())

    def _web(self) -> Child:
        return Child(
            "web",
            [
                sys.executable, "-m", "gunicorn", "buzon.wsgi:application",
                "--bind", f"{settings.WEB_HOST}:{settings.WEB_PORT}",
                "--workers", str(settings.WEB_WORKERS),
                "--access-logfile", "-",
                "--timeout", "60",
            ],
        )  # fmt: skip

    def _banner(self, children: list[Child]) -> None:
        url = f"http://{settings.WEB_HOST}:{settings.WEB_PORT}"
        lines = [
            "",
            f"Buzón is starting: {', '.join(c.name for c in children)}",
            f"  Web UI:     {url}/   (admin: {url}/admin/, health: {url}/healthz)",
            f"  Sign in as: agent@helpdesk.test or admin@helpdesk.test, password {DEMO_PASSWORD!r}",
            f"  Inbound SMTP: {settings.SMTPD_HOST}:{settings.SMTPD_PORT}"
            f"   Relay: {settings.RELAY_HOST}:{settings.RELAY_PORT}",
            f"  Database:   {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
            f"  Secret key: {self._key_source()}",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    @staticmethod
    def _key_source() -> str:
        if os.environ.get("BUZON_SECRET_KEY"):
            return "BUZON_SECRET_KEY"
        return f"{settings.DATA_DIR / 'secret_key'} (this install's own)"
