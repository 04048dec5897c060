"""Outbound throughput: Buzón's worker against a bare smtplib loop, same run, same sink.

    .venv/bin/python bench/outbound/bench.py                 # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon .venv/bin/python bench/outbound/bench.py

It creates a fresh test database (Django's test-database machinery: `test_<name>`,
dropped at the end), records N notifications through the real outbox (each becomes
an email notification and one queued delivery), starts the sandbox mail server as a
plain sink in its own process, then measures, against that sink:

- Buzón: one worker (in this process) claiming, sending and recording until every
  delivery is handed off — claims, group commits, events, identity resets included;
- bare: one smtplib connection sending the same N messages (same envelopes, same
  bytes, preloaded in memory) with `sendmail`, nothing recorded.

The two are measured interleaved, in chunks (--chunks, alternating which goes
first), so that a change in the machine's load affects both alike. It prints
messages per second for both and their ratio. Not a test: the figures
depend on the machine; compare them only within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import free_port, wait_for_port  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="notifications (default 5000)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--chunks", type=int, default=10, help="interleaved measurements")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="buzon-bench-"))
    os.environ.setdefault("BUZON_DATA_DIR", str(data_dir))
    os.environ.setdefault("BUZON_TEST_SQLITE", str(data_dir / "bench.sqlite3"))
    os.environ.setdefault("BUZON_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", "sandbox", "--sink", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        print(f"database: {connection.vendor}   notifications: {args.n}   sink: 127.0.0.1:{port}")
        started = time.perf_counter()
        deliveries = queue_notifications(args.n)
        print(f"set-up: {args.n} notifications queued in {time.perf_counter() - started:.1f}s")
        envelopes = dict(zip(deliveries, load_envelopes(deliveries), strict=True))
        # Interleave the two in chunks (alternating which goes first), so that a
        # change in the machine's load hits both alike.
        hold_all()
        size = -(-len(deliveries) // args.chunks)
        times = {"bare": 0.0, "buzon": 0.0}
        chunk_ratios = []
        for i in range(args.chunks):
            chunk = deliveries[i * size : (i + 1) * size]
            make_due(chunk)
            runs = [
                ("bare", lambda c=chunk: bare_loop(port, [envelopes[d] for d in c])),
                ("buzon", lambda c=chunk: buzon_worker(port, args.batch_size, len(c))),
            ]
            took = {}
            for name, run in runs if i % 2 == 0 else reversed(runs):
                took[name] = run()
                times[name] += took[name]
            chunk_ratios.append(took["bare"] / took["buzon"])
        check_all_handed_off()
        bare, buzon = args.n / times["bare"], args.n / times["buzon"]
        print(
            f"Buzón worker: {buzon:7.0f} msgs/s   bare smtplib loop: {bare:7.0f} msgs/s   "
            f"ratio: {buzon / bare:.2f}"
        )
        print(
            f"  ratio per chunk ({args.chunks} interleaved chunks of {size}): "
            f"median {statistics.median(chunk_ratios):.2f}, "
            f"range {min(chunk_ratios):.2f}-{max(chunk_ratios):.2f}"
        )
    finally:
        sink.terminate()
        sink.wait(timeout=20)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def check_all_handed_off() -> None:
    from buzon.deliveries.models import Delivery

    left = Delivery.objects.exclude(state="handed_off").count()
    if left:
        raise SystemExit(f"{left} deliveries were not handed off")


def queue_notifications(n: int) -> list[int]:
    """N notifications recorded the way the trigger engine records them (audit event,
    notification, recipient, then notification_created → the outbox)."""
    from django.db import transaction

    from buzon.deliveries.models import Delivery
    from buzon.tickets.models import (
        Audit,
        AuditEvent,
        Comment,
        EventType,
        Notification,
        NotificationRecipient,
        Role,
        Ticket,
        User,
    )
    from buzon.tickets.signals import notification_created

    suffix = f"{time.time_ns()}"
    agent = User.objects.create_user(
        f"agent-{suffix}@helpdesk.test", "Alicia Agente", role=Role.AGENT
    )
    people = [
        User.objects.create_user(f"p{i}-{suffix}@example.com", f"Persona {i}") for i in range(100)
    ]
    tickets = [
        Ticket.objects.create(subject=f"Pedido {i}", requester=p, submitter=agent)
        for i, p in enumerate(people)
    ]
    first = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    body = "Hola, tu pedido ha salido hoy del almacén. Gracias por tu paciencia.\n\n" * 8
    for start in range(0, n, 500):
        with transaction.atomic():
            for i in range(start, min(start + 500, n)):
                ticket = tickets[i % len(tickets)]
                audit = Audit.objects.create(ticket=ticket, author=agent, via="web")
                comment = Comment.objects.create(
                    ticket=ticket, author=agent, body=body, html_body=f"<p>{body}</p>"
                )
                event = AuditEvent.objects.create(audit=audit, type=EventType.NOTIFICATION)
                notification = Notification.objects.create(
                    ticket=ticket, event=event, comment=comment, trigger_title="bench",
                    author=agent, subject=f"[Buzón] Re: {ticket.subject}", body=body,
                )  # fmt: skip
                NotificationRecipient.objects.create(
                    notification=notification,
                    user=ticket.requester,
                    name=ticket.requester.name,
                    email=ticket.requester.email,
                )
                notification_created.send(sender=Notification, notification=notification)
    return list(Delivery.objects.filter(id__gt=first).order_by("id").values_list("id", flat=True))


def hold_all() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from buzon.deliveries.models import Delivery

    later = timezone.now() + timedelta(days=1)
    Delivery.objects.filter(state="queued").update(next_attempt_at=later)


def make_due(ids: list[int]) -> None:
    from django.utils import timezone

    from buzon.deliveries.models import Delivery

    Delivery.objects.filter(id__in=ids).update(next_attempt_at=timezone.now())


def load_envelopes(ids: list[int]) -> list[tuple[str, str, bytes]]:
    from buzon.deliveries.models import Delivery
    from buzon.mail.verp import return_path

    rows = Delivery.objects.filter(id__in=ids).select_related("email_notification").order_by("id")
    return [
        (return_path(d.return_token), d.email, d.email_notification.raw_message.encode("ascii"))
        for d in rows
    ]


def bare_loop(port: int, envelopes: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=30)
    for sender, recipient, message in envelopes:
        smtp.sendmail(sender, [recipient], message)
    smtp.quit()
    return time.perf_counter() - started


def buzon_worker(port: int, batch_size: int, expected: int) -> float:
    from buzon.mail.relay import RelayConfig, SmtpRelay
    from buzon.mail.worker import Worker

    worker = Worker(
        transport=SmtpRelay(RelayConfig("127.0.0.1", port, timeout=30, helo_name="bench")),
        batch_size=batch_size,
    )
    started = time.perf_counter()
    tally = worker.run(until_idle=True)
    elapsed = time.perf_counter() - started
    if tally["handed_off"] != expected:
        raise SystemExit(f"{tally['handed_off']} of {expected} deliveries handed off: {tally}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
