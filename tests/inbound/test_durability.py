"""Kill -9: the SMTP server loses no message it answered 250 to, and a worker killed
mid-batch leaves every stored message to be processed exactly once after restart."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import threading
from collections import Counter

import pytest
from helpers import free_port
from inboundmail import SRC, database_url, email_of, live_db, reply, wait_until

from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage
from buzon.tickets.models import Comment

pytestmark = [live_db, pytest.mark.slow]


def env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BUZON_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(SRC),
        **extra,
    }


def start(*args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", *args],
        env=env(**extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def listening(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def test_the_smtp_server_killed_under_load_keeps_every_message_it_acknowledged():
    port = free_port()
    server = start("smtpd", "--port", str(port))
    try:
        wait_until(lambda: listening(port), timeout=60, interval=0.2)
        acknowledged: list[str] = []
        attempted = Counter()
        stop = threading.Event()

        def sender(n: int) -> None:
            i = 0
            while not stop.is_set() and i < 5000:
                i += 1
                message_id = f"kill-{n}-{i}@load.example"
                raw = (
                    f"From: load{n}@example.org\r\nTo: support@helpdesk.test\r\n"
                    f"Subject: load {n} {i}\r\nMessage-ID: <{message_id}>\r\n\r\nbody {i}\r\n"
                ).encode()
                attempted[n] += 1
                try:
                    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                        smtp.sendmail(f"load{n}@example.org", ["support@helpdesk.test"], raw)
                except (OSError, smtplib.SMTPException):
                    return  # the server is gone
                acknowledged.append(message_id)

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acknowledged) >= 150, timeout=120, interval=0.05)
        server.send_signal(signal.SIGKILL)  # mid-stream: some sessions are in DATA
        server.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    stored = set(InboundMessage.objects.values_list("message_id", flat=True))
    lost = [m for m in acknowledged if m not in stored]
    print(
        f"\nsent {sum(attempted.values())}, answered 250: {len(acknowledged)}, "
        f"stored: {len(stored)}, lost after a 250: {len(lost)}"
    )
    assert not lost
    assert len(stored) <= sum(attempted.values())
    for row in InboundMessage.objects.all():  # nothing half-written
        assert bytes(row.raw).endswith(b"\r\n") and row.size == len(bytes(row.raw))


def test_a_worker_killed_mid_batch_processes_every_message_exactly_once_after_restart(ticket):
    email = email_of(ticket)
    senders = ["ana@example.com", "carla@example.com", "diego@example.net"]
    rows = [
        store.store(
            reply(email, senders[i % 3], f"Respuesta número {i}."), senders[i % 3],
            ["support@helpdesk.test"],
        )
        for i in range(150)
    ]  # fmt: skip
    options = ("worker", "--queues", "inbound", "--inbound-lease", "3", "--poll", "0.1")
    settings_env = {"BUZON_INBOUND_BATCH": "40", "BUZON_INBOUND_LOOP_LIMIT": "0"}
    first = start(*options, **settings_env)
    try:
        wait_until(
            lambda: InboundMessage.objects.filter(state="processed").count() >= 25,
            timeout=180,
            interval=0.05,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    done_before = InboundMessage.objects.filter(state="processed").count()
    leased = InboundMessage.objects.filter(state="processing").count()
    print(f"\nkilled after {done_before} processed, {leased} still leased")
    assert done_before < len(rows)
    second = start(*options, "--until-done", **settings_env)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    per_message = Counter(
        Comment.objects.filter(ticket=ticket, via="email").values_list(
            "metadata__email__inbound_message_id", flat=True
        )
    )
    assert sorted(per_message) == sorted(r.pk for r in rows)
    assert set(per_message.values()) == {1}  # exactly once each


def test_several_workers_on_postgresql_process_each_message_once(ticket):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "several workers need PostgreSQL (SKIP LOCKED); on SQLite one worker is the rule"
        )
    email = email_of(ticket)
    senders = ["ana@example.com", "carla@example.com", "diego@example.net"]
    rows = [
        store.store(reply(email, senders[i % 3], f"Mensaje {i}."), senders[i % 3],
                    ["support@helpdesk.test"])
        for i in range(120)
    ]  # fmt: skip
    options = ("worker", "--queues", "inbound", "--poll", "0.05", "--until-done")
    settings_env = {"BUZON_INBOUND_BATCH": "5", "BUZON_INBOUND_LOOP_LIMIT": "0"}
    workers = [start(*options, **settings_env) for _ in range(3)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    per_message = Counter(
        Comment.objects.filter(ticket=ticket, via="email").values_list(
            "metadata__email__inbound_message_id", flat=True
        )
    )
    assert sorted(per_message) == sorted(r.pk for r in rows)
    assert set(per_message.values()) == {1}
    claimed_by = Counter(InboundMessage.objects.values_list("attempts", flat=True))
    assert set(claimed_by) == {1}  # nobody claimed a message another worker held
