"""`buzon sandbox`: the fake remote mail server (see buzon.mail.sandbox)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from buzon.mail.sandbox import RULES, Sandbox, SandboxHandler


class Command(BaseCommand):
    help = "Run the sandbox mail server that plays the internet (rules in buzon.mail.sandbox)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.SANDBOX_HOST)
        parser.add_argument("--port", type=int, default=settings.SANDBOX_PORT)
        parser.add_argument(
            "--sink", action="store_true", help="accept everything (no rules, no DSNs)"
        )
        parser.add_argument(
            "--save-dir",
            help="write each accepted message there as .eml (default: DATA_DIR/sandbox; "
            "'' for none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        save = options["save_dir"]
        if save is None:
            save_dir = None if options["sink"] else settings.DATA_DIR / "sandbox"
        else:
            save_dir = Path(save) if save else None
        handler = SandboxHandler(
            sink=options["sink"],
            dsn_host=settings.SMTPD_HOST,
            dsn_port=settings.SMTPD_PORT,
            bounce_delay=settings.SANDBOX_BOUNCE_DELAY,
            keep=1000,
            save_dir=save_dir,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        signal.signal(signal.SIGINT, lambda *a: stop.set())
        with Sandbox(options["host"], options["port"], handler):
            self.stdout.write(
                f"sandbox mail server on {options['host']}:{options['port']}"
                + (" (sink)" if options["sink"] else f", {len(RULES)} rules")
                + (f", saving to {save_dir}" if save_dir else "")
            )
            self.stdout.flush()
            while not stop.wait(1.0):
                pass
        self.stdout.write(f"sandbox stopped after {handler.count} messages")
