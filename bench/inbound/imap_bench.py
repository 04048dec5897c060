"""IMAP intake against SMTP intake: 2,000 messages read from a Dovecot mailbox, stored
and routed, next to the same kind of messages sent to Buzón's SMTP server, in one run.

    .venv/bin/python bench/inbound/imap_bench.py             # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon \
        .venv/bin/python bench/inbound/imap_bench.py

Needs root and Dovecot (Debian's dovecot-imapd; tests/inbound/dovecot.py starts a
throwaway one on loopback). It creates a fresh test database and, twice (one set for
each intake, built by the same function), N/20 proactive tickets with a requester and
nine CCs through the real outbox; the messages are, half and half, the requester's
reply to the notification (a comment) and an RFC 3464 DSN `failed 5.1.1` for one of
the copies (a recorded failure) — the bounce written as a delivery agent leaves it in
a mailbox (Return-Path <>, Delivered-To the signed return path).

1. IMAP: the N messages APPENDed to Dovecot (not timed); `buzon worker --queues
   inbound` running as its own process; the reader (`imap.read_once`, what `buzon imap
   --once` runs: batches of BUZON_IMAP_BATCH fetched, committed, then moved) from its
   connection to the last message moved (intake), and to the last one routed.
2. SMTP: `buzon smtpd` and the worker as processes; 4 client connections send the
   other set (bounces from the null sender to the return path, replies from the
   requester to the support address); to the last 250 (intake), and to the last one
   routed.

It prints messages per second for each and IMAP's ratio to SMTP. Not a test: the
figures depend on the machine (and its load); compare them only within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "inbound"))
sys.path.insert(0, str(ROOT / "tests" / "inbound"))

from benchlib import free_port, wait_for_port  # noqa: E402

import bench as smtp_bench  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="messages per intake (default 2000)")
    args = parser.parse_args()
    n = args.n - args.n % 20
    from dovecot import Dovecot, available

    if not available():
        raise SystemExit("needs root and Dovecot (apt-get install dovecot-imapd)")

    data_dir = Path(tempfile.mkdtemp(prefix="buzon-bench-imap-"))
    os.environ.setdefault("BUZON_DATA_DIR", str(data_dir))
    os.environ.setdefault("BUZON_TEST_SQLITE", str(data_dir / "bench.sqlite3"))
    os.environ.setdefault("BUZON_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    env = {
        **os.environ,
        "DATABASE_URL": smtp_bench.database_url(connection),
        "PYTHONPATH": str(ROOT / "src"),
        "BUZON_INBOUND_LOOP_LIMIT": "0",
    }
    processes = []
    try:
        t = time.perf_counter()
        imap_set = build_messages(n, "imap")
        smtp_set = build_messages(n, "smtp")
        print(f"database: {connection.vendor}   messages per intake: {n} "
              f"(half replies, half DSNs)   set-up: {time.perf_counter() - t:.1f}s")  # fmt: skip
        connection.close()

        # 1. IMAP.
        with Dovecot() as server:
            t = time.perf_counter()
            append_all(server, [raw for _, _, raw in imap_set])
            print(f"APPEND of {n} messages to Dovecot: {time.perf_counter() - t:.1f}s (not timed)")
            processes.append(
                smtp_bench.start(env, "worker", "--queues", "inbound", "--poll", "0.05")
            )
            from buzon.mail.inbound.imap import read_once
            from buzon.mail.inbound.mailboxes import parse_url, sync_settings_rows

            config = parse_url(server.url)
            row = sync_settings_rows([config])[config.key]
            t0 = time.perf_counter()
            taken = read_once(row, config)
            imap_intake = time.perf_counter() - t0
            wait_routed(n)
            imap_e2e = time.perf_counter() - t0
            smtp_bench.stop(processes)
            assert taken.stored == n and server.uids("INBOX") == [], taken
        connection.close()

        # 2. SMTP.
        port = free_port()
        processes.append(smtp_bench.start(env, "smtpd", "--port", str(port)))
        processes.append(smtp_bench.start(env, "worker", "--queues", "inbound", "--poll", "0.05"))
        wait_for_port(port)
        t0 = time.perf_counter()
        sent = send_all(port, smtp_set)
        smtp_intake = time.perf_counter() - t0
        wait_routed(2 * n)
        smtp_e2e = time.perf_counter() - t0
        smtp_bench.stop(processes)
        assert sent == n, sent

        print(f"\n{'':40}{'msgs/s':>10}{'seconds':>10}")
        smtp_bench.line("IMAP intake (fetched, stored, moved)", n, imap_intake)
        smtp_bench.line("IMAP end to end (stored and routed)", n, imap_e2e)
        smtp_bench.line("SMTP intake (250 after the commit)", n, smtp_intake)
        smtp_bench.line("SMTP end to end (stored and routed)", n, smtp_e2e)
        print(f"\nIMAP / SMTP intake: {smtp_intake / imap_intake:.2f}   "
              f"IMAP / SMTP end to end: {smtp_e2e / imap_e2e:.2f}")  # fmt: skip
        check(n)
    finally:
        smtp_bench.stop(processes)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def build_messages(n: int, tag: str) -> list[tuple[str, str, bytes]]:
    """(envelope sender, envelope recipient, raw) × n: the requester's replies and DSNs
    (one per delivery), alternating."""
    from django.conf import settings

    from buzon.deliveries.models import Delivery
    from buzon.mail.sandbox import RULES, build_dsn
    from buzon.mail.verp import return_path
    from buzon.tickets.models import Role, User, Via
    from buzon.tickets.services import CommentInput, create_ticket

    sys.path.insert(0, str(ROOT / "tests" / "inbound"))
    from inboundmail import reply

    agent, _ = User.objects.get_or_create(
        email="agent@helpdesk.test", defaults={"name": "Agent", "role": Role.AGENT}
    )
    people = [
        User.objects.get_or_create(email=f"{tag}{i}@example.org", defaults={"name": f"U {i}"})[0]
        for i in range(10)
    ]
    first = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for i in range(n // 20):
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"{tag} ticket {i}", "requester_id": people[0].pk,
                    "email_cc_ids": [p.pk for p in people[1:]]},
            comment=CommentInput(body=f"Hola, this is ticket {i}."),
        )  # fmt: skip
    rule = next(r for r in RULES if r.stage == "BOUNCE")
    bounces, replies = [], []
    deliveries = Delivery.objects.filter(id__gt=first).select_related("email_notification")
    for d in deliveries.order_by("id"):
        address = return_path(d.return_token)
        dsn = build_dsn(address, d.email, rule, d.email_notification.raw_message.encode())
        bounces.append(
            ("", address, f"Return-Path: <>\r\nDelivered-To: {address}\r\n".encode() + dsn)
        )
        if d.email == people[0].email:  # ten replies from the requester per ticket
            for k in range(10):
                raw = reply(d.email_notification, d.email, f"Thanks ({k}) about {d.ticket_id}.")
                replies.append((d.email, settings.SUPPORT_ADDRESS, raw))
    return [m for pair in zip(replies, bounces, strict=True) for m in pair]


def append_all(server, raws: list[bytes]) -> None:
    client = server.client()
    try:
        for raw in raws:
            client.append("INBOX", raw)
    finally:
        client.logout()


def send_all(port: int, messages: list[tuple[str, str, bytes]]) -> int:
    import smtplib
    import threading

    shares = [messages[i::4] for i in range(4)]
    done = [0] * 4

    def client(i: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo("bench.example")
            for sender, rcpt, raw in shares[i]:
                smtp.sendmail(sender, [rcpt], raw)
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def wait_routed(total: int, timeout: float = 3600) -> None:
    from django.db import connection

    from buzon.mail.inbound.models import InboundMessage

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = InboundMessage.objects.exclude(state__in=["received", "processing"]).count()
        connection.close()
        if done >= total:
            return
        time.sleep(0.1)
    raise SystemExit("the worker did not route every message in time")


def check(n: int) -> None:
    from django.db.models import Count

    from buzon.mail.inbound.models import InboundMessage

    by = dict(
        InboundMessage.objects.values("source").annotate(k=Count("id")).values_list("source", "k")
    )
    outcomes = dict(
        InboundMessage.objects.values("outcome").annotate(k=Count("id")).values_list("outcome", "k")
    )
    print(f"checked: stored by source {by}; outcomes {outcomes}")
    if by.get("imap") != n or by.get("smtp") != n:
        raise SystemExit("some messages were not stored")


if __name__ == "__main__":
    sys.exit(main())
