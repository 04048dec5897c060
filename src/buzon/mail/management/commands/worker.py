"""`buzon worker`: send queued email deliveries (see buzon.mail.worker)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buzon.mail.worker import Worker, WorkerLockError


class Command(BaseCommand):
    help = "Claim due email deliveries and send them through the relay (or ESP)."

    def add_arguments(self, parser: Any) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="send one batch, then exit")
        mode.add_argument(
            "--until-idle", action="store_true", help="exit when nothing is due right now"
        )
        mode.add_argument(
            "--until-done",
            action="store_true",
            help="exit when nothing is pending at all (waits for retries)",
        )
        parser.add_argument("--max-seconds", type=float, help="exit after this long anyway")
        parser.add_argument(
            "--batch-size", type=int, help="deliveries per claim (BUZON_WORKER_BATCH)"
        )
        parser.add_argument(
            "--lease", type=float, help="seconds a claim lasts (BUZON_WORKER_LEASE)"
        )
        parser.add_argument("--poll", type=float, help="seconds between looks when idle")
        parser.add_argument(
            "--id", help="this worker's name in claimed_by (default host:pid:random)"
        )
        parser.add_argument(
            "--queues",
            default="outbound,inbound",
            help="which queues to work: outbound (deliveries), inbound (received mail), "
            "or both (the default)",
        )
        parser.add_argument(
            "--inbound-lease",
            type=float,
            help="seconds an inbound claim lasts (BUZON_INBOUND_LEASE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queues = tuple(q.strip() for q in options["queues"].split(",") if q.strip())
        try:
            worker = Worker(
                batch_size=options["batch_size"],
                lease=options["lease"],
                poll=options["poll"],
                worker_id=options["id"],
                queues=queues,
                inbound_lease=options["inbound_lease"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            tally = worker.run(
                once=options["once"],
                until_idle=options["until_idle"],
                until_done=options["until_done"],
                max_seconds=options["max_seconds"],
            )
        except WorkerLockError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] >= 1 and (
            options["once"] or options["until_idle"] or options["until_done"]
        ):
            summary = ", ".join(f"{n} {what}" for what, n in sorted(tally.items()))
            if worker.inbound is not None and worker.inbound.tally:
                inbound = ", ".join(
                    f"{n} {what}" for what, n in sorted(worker.inbound.tally.items())
                )
                summary = f"{summary}; inbound: {inbound}" if summary else f"inbound: {inbound}"
            self.stdout.write(f"worker {worker.id}: {summary or 'nothing to do'}")
