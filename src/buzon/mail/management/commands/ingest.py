"""`buzon ingest`: store a message from a file or standard input, as the SMTP server
would (for MTAs that pipe mail, e.g. a Postfix `pipe` transport, and for replaying
.eml files). The worker then processes it.

    buzon ingest --from "$SENDER" --to "$RECIPIENT"  < message   # from an MTA
    buzon ingest reply.eml bounce.eml                             # to the support address

Exit status 0 when stored, 75 (EX_TEMPFAIL, "try again later") when it could not be,
so a piping MTA keeps the message and retries.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundSource

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store a message (file or stdin) in the inbound queue, as if received by SMTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", help="message files ('-' or none: stdin)")
        parser.add_argument(
            "--from", dest="mail_from", default="", help="envelope sender ('' for bounces)"
        )
        parser.add_argument(
            "--to",
            dest="rcpt_tos",
            action="append",
            help="envelope recipient (repeat; default: the support address)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rcpts = options["rcpt_tos"] or [settings.SUPPORT_ADDRESS]
        sources = options["files"] or ["-"]
        if len(rcpts) > 1000 or any(len(r) > 320 for r in rcpts):
            raise CommandError("too many or too long recipients")
        store.make_durable()
        for name in sources:
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {name}: {exc}") from None
            if len(raw) > settings.INBOUND_MAX_SIZE:
                raise CommandError(
                    f"{name}: {len(raw):,} bytes, more than BUZON_INBOUND_MAX_SIZE "
                    f"({settings.INBOUND_MAX_SIZE:,})"
                )
            try:
                row = store.store(
                    raw, options["mail_from"], rcpts, source=InboundSource.INGEST, peer="ingest"
                )
            except Exception as exc:
                self.stderr.write(f"could not store {name}: {exc}")
                sys.exit(EX_TEMPFAIL)
            if options["verbosity"] >= 1:
                self.stdout.write(f"{name}: stored as inbound message {row.pk} ({row.state})")
