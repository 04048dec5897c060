"""What DKIM signing costs the web request: the outbox with and without a key, same run.

    .venv/bin/python bench/domains/bench.py                 # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon .venv/bin/python bench/domains/bench.py

It creates a fresh test database, a 2048-bit DKIM key for the support domain, and
records N notifications through the real outbox, each in its own transaction as a
web request does (audit event, notification, recipient, `notification_created` →
the message is built, signed when the key is active, stored with its delivery). Runs
with the key active and with it inactive are interleaved in chunks (alternating
which goes first), so a change in the machine's load hits both alike. It also times
the signature alone (`domains.dkimsign`, rsa-sha256, relaxed/relaxed) on one built
message. Prints notifications per second for both, their ratio, and milliseconds per
signature. Not a test: compare the figures only within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="notifications (default 2000)")
    parser.add_argument("--chunks", type=int, default=10, help="interleaved measurements")
    parser.add_argument("--bits", type=int, default=2048)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="buzon-bench-"))
    os.environ.setdefault("BUZON_DATA_DIR", str(data_dir))
    os.environ.setdefault("BUZON_TEST_SQLITE", str(data_dir / "bench.sqlite3"))
    os.environ.setdefault("BUZON_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from buzon.domains import dkimkeys
    from buzon.domains.models import DkimKey, KeyState

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        domain = settings.SUPPORT_ADDRESS.rpartition("@")[2]
        key = dkimkeys.generate(domain, selector="bench", bits=args.bits, activate=True)
        people = make_people()
        print(f"database: {connection.vendor}   notifications: {args.n}   key: RSA {args.bits}")
        size = -(-args.n // args.chunks)
        times = {"unsigned": 0.0, "signed": 0.0}
        ratios = []
        for i in range(args.chunks):
            took = {}
            order = ("signed", "unsigned") if i % 2 == 0 else ("unsigned", "signed")
            for name in order:
                state = KeyState.ACTIVE if name == "signed" else KeyState.PENDING
                DkimKey.objects.filter(pk=key.pk).update(state=state)
                took[name] = record_notifications(people, size)
                times[name] += took[name]
            ratios.append(took["unsigned"] / took["signed"])
        check_signed()
        total = size * args.chunks
        signed, unsigned = total / times["signed"], total / times["unsigned"]
        print(
            f"outbox with DKIM: {signed:6.0f} notifications/s   without: {unsigned:6.0f}/s   "
            f"ratio: {signed / unsigned:.2f}"
        )
        print(
            f"  ratio per chunk ({args.chunks} interleaved chunks of {size}): "
            f"median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}"
        )
        print(f"  signature alone: {time_signature(key):.2f} ms per message")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def make_people():
    from buzon.tickets.models import Role, Ticket, User

    agent = User.objects.create_user("agent@helpdesk.test", "Alicia Agente", role=Role.AGENT)
    tickets = []
    for i in range(50):
        person = User.objects.create_user(f"p{i}@example.com", f"Persona {i}")
        tickets.append(
            Ticket.objects.create(subject=f"Pedido {i}", requester=person, submitter=agent)
        )
    return agent, tickets


def record_notifications(people, n: int) -> float:
    """Seconds to record n notifications, one transaction each (as web requests do)."""
    from django.db import transaction

    from buzon.tickets.models import (
        Audit,
        AuditEvent,
        Comment,
        EventType,
        Notification,
        NotificationRecipient,
    )
    from buzon.tickets.signals import notification_created

    agent, tickets = people
    body = "Hola, tu pedido ha salido hoy del almacén. Gracias por tu paciencia.\n\n" * 8
    started = time.perf_counter()
    for i in range(n):
        ticket = tickets[i % len(tickets)]
        with transaction.atomic():
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
    return time.perf_counter() - started


def check_signed() -> None:
    from buzon.deliveries.models import EmailNotification

    emails = EmailNotification.objects.all()
    signed = sum("DKIM-Signature:" in e.raw_message[:4000] for e in emails.only("raw_message"))
    if signed * 2 != emails.count():
        raise SystemExit(f"expected half of {emails.count()} emails signed, found {signed}")


def time_signature(key, rounds: int = 200) -> float:
    from buzon.deliveries.models import EmailNotification
    from buzon.domains import dkimkeys

    raw = EmailNotification.objects.exclude(raw_message__contains="DKIM-Signature").first()
    message = raw.raw_message.encode("ascii")
    dkimkeys.sign_with(message, key)  # warm the decrypted-key cache
    started = time.perf_counter()
    for _ in range(rounds):
        dkimkeys.sign_with(message, key)
    return (time.perf_counter() - started) / rounds * 1000


if __name__ == "__main__":
    sys.exit(main())
