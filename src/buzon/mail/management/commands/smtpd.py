"""`buzon smtpd`: the inbound SMTP server (see buzon.mail.inbound.smtpd)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from buzon.mail.inbound.smtpd import InboundServer


class Command(BaseCommand):
    help = "Run the inbound SMTP server: replies and bounces, stored before the 250."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.SMTPD_HOST)
        parser.add_argument("--port", type=int, default=settings.SMTPD_PORT)
        parser.add_argument(
            "--max-size", type=int, default=settings.INBOUND_MAX_SIZE, help="bytes (SIZE)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        signal.signal(signal.SIGINT, lambda *a: stop.set())
        server = InboundServer(options["host"], options["port"], max_size=options["max_size"])
        with server:
            addresses = server.handler.addresses
            self.stdout.write(
                f"inbound SMTP server on {options['host']}:{options['port']} for "
                f"{', '.join(sorted(addresses.support))} and bounces+…@{addresses.bounce_domain}"
                f"{' (STARTTLS)' if settings.SMTPD_TLS_CERT else ''}"
            )
            self.stdout.flush()
            while not stop.wait(1.0):
                pass
        handler = server.handler
        self.stdout.write(
            f"inbound SMTP server stopped: {handler.stored} stored, {handler.failed} refused (451)"
        )
