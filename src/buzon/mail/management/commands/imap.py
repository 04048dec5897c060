"""`buzon imap`: read the configured IMAP mailboxes into the inbound store (see
buzon.mail.inbound.imap). Long-running; `--once` reads each mailbox once and exits."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buzon.mail.inbound.imap import CONNECTION_ERRORS, ImapService, mark_stopped, read_once
from buzon.mail.inbound.mailboxes import InvalidMailboxUrl, configured


class Command(BaseCommand):
    help = "Read IMAP mailboxes (BUZON_IMAP_MAILBOXES and the settings page) into the store."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="read each mailbox once, then exit")
        parser.add_argument(
            "--refresh",
            type=float,
            default=10.0,
            help="seconds between looks at the mailbox configuration (default 10)",
        )
        parser.add_argument(
            "--pause-after-store",
            type=float,
            default=0.0,
            help="fault injection for crash tests: sleep this long after each commit, "
            "before moving or flagging on the server",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pause = options["pause_after_store"]
        after_store = (lambda: time.sleep(pause)) if pause > 0 else None
        try:
            mailboxes = configured()
        except InvalidMailboxUrl as exc:
            raise CommandError(str(exc)) from None
        if options["once"]:
            self._once(mailboxes)
            return
        service = ImapService(refresh=options["refresh"], after_store=after_store)
        stop = threading.Event()

        def stopping(*_: Any) -> None:
            service.stop()
            stop.set()

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
        names = ", ".join(row.key for row, config, _ in mailboxes if config) or "none yet"
        self.stdout.write(f"IMAP reader: {names} (the configuration is re-read every "
                          f"{options['refresh']:g} s)")  # fmt: skip
        self.stdout.flush()
        thread = threading.Thread(target=service.run, name="imap-service", daemon=True)
        thread.start()
        while thread.is_alive() and not stop.wait(1.0):
            pass
        thread.join(timeout=30)
        self.stdout.write("IMAP reader stopped")

    def _once(self, mailboxes: list) -> None:
        failed = 0
        for row, config, problem in mailboxes:
            if config is None:
                mark_stopped(row, problem)
                self.stderr.write(f"{row.key}: {problem}")
                failed += 1
                continue
            try:
                taken = read_once(row, config)
            except CONNECTION_ERRORS as exc:
                self.stderr.write(f"{row.key}: {type(exc).__name__}: {exc}")
                failed += 1
                continue
            large = (
                f", {taken.too_large} too large (left in the mailbox)" if taken.too_large else ""
            )
            self.stdout.write(f"{row.key}: stored {taken.stored}, finished {taken.finished}{large}")
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be read")
