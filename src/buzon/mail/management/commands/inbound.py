"""`buzon inbound`: look at the inbound queue and act on it.

buzon inbound list [--state error|held|unmatched|…] [--limit N]
buzon inbound show ID [--raw]
buzon inbound replay ID [ID…]          # back to the queue (after a fix; held ones)
buzon inbound process [--until-idle]   # work only the inbound queue
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buzon.mail.inbound.models import InboundMessage, InboundState
from buzon.mail.inbound.processor import replay
from buzon.mail.worker import Worker, WorkerLockError


class Command(BaseCommand):
    help = "List, show, replay and process received mail (the inbound queue)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the latest messages, newest first")
        listing.add_argument("--state", choices=InboundState.values)
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="one message: envelope, outcome, error")
        show.add_argument("id", type=int)
        show.add_argument("--raw", action="store_true", help="write the raw bytes to stdout")
        again = sub.add_parser("replay", help="put messages back in the queue")
        again.add_argument("ids", type=int, nargs="+")
        process = sub.add_parser("process", help="work the inbound queue only")
        process.add_argument("--until-idle", action="store_true")
        process.add_argument("--max-seconds", type=float)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _list(self, options: dict) -> None:
        rows = InboundMessage.objects.order_by("-id")
        if options["state"]:
            rows = rows.filter(state=options["state"])
        for row in rows.defer("raw")[: options["limit"]]:
            self.stdout.write(
                f"{row.pk:>7}  {row.received_at:%Y-%m-%d %H:%M:%S}  {row.state:<10} "
                f"{row.kind or '-':<11} {row.outcome or '-':<20} "
                f"{(row.sender or row.mail_from or '<>')[:40]:<40} {row.subject[:50]}"
            )

    def _show(self, options: dict) -> None:
        row = InboundMessage.objects.filter(pk=options["id"]).first()
        if row is None:
            raise CommandError(f"no inbound message {options['id']}")
        if options["raw"]:
            sys.stdout.buffer.write(bytes(row.raw))
            return
        for name in (
            "received_at", "source", "peer", "mail_from", "rcpt_tos", "size", "message_id",
            "state", "attempts", "kind", "outcome", "sender", "subject", "ticket_id",
            "comment_id", "delivery_ids", "detail", "error",
        ):  # fmt: skip
            self.stdout.write(f"{name:>13}: {getattr(row, name)}")

    def _replay(self, options: dict) -> None:
        n = replay(options["ids"])
        self.stdout.write(f"{n} message(s) back in the queue")

    def _process(self, options: dict) -> None:
        worker = Worker(queues=("inbound",))
        try:
            worker.run(until_idle=options["until_idle"], max_seconds=options["max_seconds"])
        except WorkerLockError as exc:
            raise CommandError(str(exc)) from None
        tally = worker.inbound.tally if worker.inbound else {}
        self.stdout.write(", ".join(f"{n} {k}" for k, n in sorted(tally.items())) or "idle")
