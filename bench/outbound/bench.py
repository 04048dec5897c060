"""Outbound throughput: Buzón's worker against a bare smtplib loop, same run, same sink.

    .venv/bin/python bench/outbound/bench.py                 # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon .venv/bin/python bench/outbound/bench.py

The sink is Postfix's `smtp-sink` (C, event-driven; Debian package `postfix`,
installed here when missing and run as root), so neither side waits on the server.
The script creates a fresh test database (Django's test-database machinery:
`test_<name>`, dropped at the end) and records, through the real outbox, N
notifications (each becomes an email notification and one queued delivery with its
own signed return path). Then, per round (a warm-up round first, then --rounds timed
ones; the order of the sides rotates):

- bare: one smtplib connection sending the N messages (same envelopes, same bytes
  with each copy's header, preloaded in memory) with `sendmail`, one message per
  transaction, nothing recorded;
- Buzón, one worker: the N deliveries are put back as they were when queued, and a
  worker process (started once, so warm) claims, sends over BUZON_RELAY_CONNECTIONS
  connections and records every outcome until nothing is due;
- Buzón, two workers (PostgreSQL only; SQLite allows one): two such processes share
  the N deliveries, queued again.

It prints the median messages per second of each side and the median of the
per-round ratios, and the CPU time each side's process spends per message (the
bare loop's process, the one worker's with all its threads): on a busy machine a
process gets CPU in proportion to what it asks for, so that is where the ratio
goes. Not a test: the figures depend on the machine; compare them only within one
run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import free_port, wait_for_port  # noqa: E402

SMTP_SINK = "/usr/sbin/smtp-sink"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages per round (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (3)")
    parser.add_argument("--batch-size", type=int, default=None, help="BUZON_WORKER_BATCH")
    parser.add_argument("--connections", type=int, default=None, help="BUZON_RELAY_CONNECTIONS")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # a worker process
    args = parser.parse_args()
    configure_django()
    if args.child:
        return worker_process(args.child, args.batch_size, args.connections)
    ensure_smtp_sink()
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    os.environ["BENCH_DATABASE"] = connection.settings_dict["NAME"]  # for the workers
    port = free_port()
    sink_command = [SMTP_SINK, *(["-u", "nobody"] if os.geteuid() == 0 else []), "-4"]
    sink = subprocess.Popen([*sink_command, f"127.0.0.1:{port}", "256"])
    workers: list[subprocess.Popen[str]] = []
    try:
        wait_for_port(port, what="smtp-sink")
        two = connection.vendor == "postgresql"
        print(
            f"database: {connection.vendor}   messages per round: {args.n}   "
            f"rounds: 1 warm-up + {args.rounds}   sink: smtp-sink on 127.0.0.1:{port}"
        )
        sides = ["bare", "buzon1", *(["buzon2"] if two else [])]
        started = time.perf_counter()
        ids = queue_notifications(args.n)
        queued = snapshot(ids)
        envelopes = load_envelopes(ids)
        print(f"set-up: {len(ids)} deliveries queued in {time.perf_counter() - started:.0f}s")
        spawn = [sys.executable, __file__, "--child", f"127.0.0.1:{port}"]
        for option in ("batch_size", "connections"):
            if getattr(args, option) is not None:
                spawn += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        workers = [
            subprocess.Popen(spawn, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(2 if two else 1)
        ]
        rates: dict[str, list[float]] = {side: [] for side in sides}
        cpu: dict[str, list[float]] = {"bare": [], "buzon1": []}
        for r in range(args.rounds + 1):
            took, spent = {}, {}
            for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
                if side == "bare":
                    cpu_before = time.process_time()
                    took[side] = bare_loop(port, envelopes)
                    spent[side] = time.process_time() - cpu_before
                else:
                    restore(queued)  # the same deliveries, queued and due again
                    took[side], spent[side] = run_workers(workers[: int(side[-1])], len(ids))
            if r == 0:
                continue  # warm-up
            for side in sides:
                rates[side].append(args.n / took[side])
            for side in cpu:
                cpu[side].append(spent[side] / args.n)
            print("  round " + str(r) + ": " + "   ".join(
                f"{side} {args.n / took[side]:,.0f}/s" for side in sides
            ))  # fmt: skip
        report(rates, cpu)
    finally:
        for worker in workers:
            worker.stdin.close()  # type: ignore[union-attr]
            worker.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=20)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


def report(rates: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    bare, one = rates["bare"], rates["buzon1"]
    print(
        f"CPU per message (median of rounds): bare loop "
        f"{statistics.median(cpu['bare']) * 1e6:.0f} µs, Buzón's worker "
        f"{statistics.median(cpu['buzon1']) * 1e6:.0f} µs"
    )
    ratios = [b / a for a, b in zip(bare, one, strict=True)]
    print(
        f"bare smtplib loop: {statistics.median(bare):7,.0f} msgs/s   "
        f"Buzón, one worker: {statistics.median(one):7,.0f} msgs/s   "
        f"ratio (median of rounds): {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})"
    )
    if "buzon2" in rates:
        two = rates["buzon2"]
        scale = [b / a for a, b in zip(one, two, strict=True)]
        vs_bare = [b / a for a, b in zip(bare, two, strict=True)]
        print(
            f"Buzón, two workers: {statistics.median(two):7,.0f} msgs/s   "
            f"two/one (median of rounds): {statistics.median(scale):.2f}   "
            f"two/bare: {statistics.median(vs_bare):.2f}"
        )


def configure_django() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="buzon-bench-"))
    os.environ.setdefault("BUZON_DATA_DIR", str(data_dir))
    os.environ.setdefault("BUZON_TEST_SQLITE", str(data_dir / "bench.sqlite3"))
    os.environ.setdefault("BUZON_LOG_LEVEL", "WARNING")
    os.environ.setdefault("BUZON_DNS_RESOLVERS", "off")  # no deliverability lookups
    os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import atexit

    import django

    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    django.setup()


def ensure_smtp_sink() -> None:
    """Install Postfix (for its smtp-sink) when missing, as scripts/system-packages.sh
    does; Postfix itself is not left running."""
    if os.access(SMTP_SINK, os.X_OK):
        return
    if os.geteuid() != 0:
        raise SystemExit(f"{SMTP_SINK} is missing: install the Debian package postfix (as root)")
    print("installing postfix (for smtp-sink) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["debconf-set-selections"],
        input=b"postfix postfix/main_mailer_type select No configuration\n",
        check=True,
    )
    install = ["apt-get", "install", "-y", "-q", "postfix"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run(["postfix", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ------------------------------------------------------------------ the worker side


def run_workers(workers: list[subprocess.Popen[str]], expected: int) -> tuple[float, float]:
    """Start the workers at once and wait until each is idle: the time it took and
    the CPU time the workers spent."""
    started = time.perf_counter()
    for worker in workers:
        worker.stdin.write("go\n")  # type: ignore[union-attr]
        worker.stdin.flush()  # type: ignore[union-attr]
    answers = [json.loads(w.stdout.readline()) for w in workers]  # type: ignore[union-attr]
    elapsed = time.perf_counter() - started
    handed_off = sum(a["handed_off"] for a in answers)
    if handed_off != expected:
        raise SystemExit(f"{handed_off} of {expected} deliveries handed off")
    return elapsed, sum(a["cpu"] for a in answers)


def worker_process(sink: str, batch_size: int | None, connections: int | None) -> int:
    """A warm worker: for each line on stdin, work until nothing is due, then say how
    many deliveries it handed off."""
    from dataclasses import replace

    from django.db import connection

    from buzon.mail.relay import RelayConfig, SmtpRelay
    from buzon.mail.worker import Worker

    connection.settings_dict["NAME"] = os.environ["BENCH_DATABASE"]
    host, port = sink.rsplit(":", 1)
    config = replace(RelayConfig.from_settings(), host=host, port=int(port), helo_name="bench")
    worker = Worker(
        transport=SmtpRelay(config), batch_size=batch_size, connections=connections, poll=0.05
    )
    done = 0
    for _ in sys.stdin:
        cpu_before = time.process_time()
        worker.run(until_idle=True)
        cpu = time.process_time() - cpu_before
        print(json.dumps({"handed_off": worker.tally["handed_off"] - done, "cpu": cpu}), flush=True)
        done = worker.tally["handed_off"]
    return 0


# ------------------------------------------------------------------- the data


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


# What sending a delivery changes on its row (recording.record_handoffs, Worker.claim).
SENDING_WRITES = (
    "state", "attempts", "claimed_by", "lease_expires_at", "first_attempt_at",
    "last_attempt_at", "handed_off_at", "last_error", "provider_message_id",
    "zendesk_status_id", "zendesk_status_name", "zendesk_status_code",
)  # fmt: skip


def snapshot(ids: list[int]) -> dict[str, Any]:
    """The queued deliveries' values of SENDING_WRITES (the same for all of them)."""
    from buzon.deliveries.models import Delivery

    values = set(Delivery.objects.filter(id__in=ids).values_list(*SENDING_WRITES))
    if len(values) != 1:
        raise SystemExit(f"queued deliveries differ in {SENDING_WRITES}: {values}")
    return {"ids": ids, **dict(zip(SENDING_WRITES, values.pop(), strict=True))}


def restore(queued: dict[str, Any]) -> None:
    """Put the deliveries back as they were when queued, due now (their events stay:
    the history grows as in a real queue). On PostgreSQL the tables are vacuumed
    first, as autovacuum would in production: each round rewrites every delivery
    several times, and a server without autovacuum would make every round slower
    than the last for the worker alone."""
    from django.db import connection
    from django.utils import timezone

    from buzon.deliveries.models import Delivery

    fields = {k: v for k, v in queued.items() if k != "ids"}
    Delivery.objects.filter(id__in=queued["ids"]).update(
        **fields, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) deliveries_delivery, tickets_useridentity")


def load_envelopes(ids: list[int]) -> list[tuple[str, str, bytes]]:
    """What the worker sends for these deliveries: return path, address, and the
    stored message with the copy's header on top."""
    from buzon.deliveries.models import Delivery
    from buzon.mail.sending import copy_header
    from buzon.mail.verp import return_path

    rows = Delivery.objects.filter(id__in=ids).select_related("email_notification").order_by("id")
    return [
        (
            return_path(d.return_token),
            d.email,
            copy_header(d.return_token, d.email) + d.email_notification.raw_message.encode("ascii"),
        )
        for d in rows
    ]


def bare_loop(port: int, envelopes: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=30)
    for sender, recipient, message in envelopes:
        smtp.sendmail(sender, [recipient], message)
    smtp.quit()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
