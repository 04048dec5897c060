"""Inbound throughput: bounces through Buzón's SMTP server into recorded failures,
next to Buzón's SMTP accept alone (and Postfix's) with the same messages, in the same
run; medians of --rounds rounds (default 3) of -n bounces (default 1,000).

    .venv/bin/python bench/inbound/bench.py                    # SQLite (a fresh file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon .venv/bin/python \
        bench/inbound/bench.py --workers 1 2

It creates a fresh test database (Django's test-database machinery). Each round, for
each worker count of --workers, it records N new deliveries through the real outbox
(N/10 proactive tickets with a requester and nine CCs, people new to the round — the
same ten on every ticket, or with `--addresses spread` ten of its own on each, as real
bounces spread over many addresses: one email notification each, ten deliveries), and
builds one RFC 3464 DSN per delivery (`failed 5.1.1`, the original headers attached),
addressed to the delivery's signed return path. Then, with the same client (4
connections in parallel, each reusing its connection):

1. end to end: `buzon smtpd` and `buzon worker --queues inbound` (that many of
   them; more than one on PostgreSQL only) running as their own processes; from the
   first byte sent to the last failure recorded (every delivery `failed`, source dsn,
   its audit, tag, identity and suppression);
2. SMTP accept alone, the round's baseline: `buzon smtpd` with no worker (a fresh
   copy of each DSN), from the first byte to the last 250 (each 250 follows a
   committed, durable row);
3. Postfix accepting the same messages (its queue files are fsynced too), with
   delivery deferred (`defer_transports`) so that it only accepts — when this runs as
   root with Postfix installed (scripts/postfix-sandbox.sh);
4. a stored backlog (with `--backlog`): N more bounces of fresh deliveries, stored
   by `buzon smtpd` alone and held back (not yet due); then the workers start, and
   once they are warm and idle the backlog is made due in one UPDATE: from that
   moment to the last failure recorded. This is the processing alone (stored →
   matched → recorded), with no intake competing for the CPU or, on SQLite, for the
   one writer.

It prints messages per second for each round and the medians, and end to end's ratio
to the SMTP accept alone. Not a test: the figures depend on the machine (and its
load); compare them only within one run.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import free_port, wait_for_port  # noqa: E402

SCRIPT = ROOT / "scripts" / "postfix-sandbox.sh"
CLIENTS = 4
WARM_UP = 5.0  # seconds for idle workers to start before a backlog is released


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="bounces per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3; medians)")
    parser.add_argument("--no-postfix", action="store_true", help="skip the Postfix column")
    parser.add_argument(
        "--addresses",
        choices=["shared", "spread"],
        default="shared",
        help="shared (default): every ticket of a round goes to the same ten people, so "
        "every batch fails the same ten addresses (the hardest case for two workers); "
        "spread: each ticket its own ten people, as real bounce traffic spreads",
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="also time the workers draining a stored backlog (no intake running)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        help="inbound worker counts to measure, e.g. 1 2 (more than 1: PostgreSQL only)",
    )
    args = parser.parse_args()
    n = args.n - args.n % 10

    data_dir, old_name = test_database("buzon-bench-inbound-")
    from django.db import connection

    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection),
        "PYTHONPATH": str(ROOT / "src"),
        "BUZON_INBOUND_LOOP_LIMIT": "0",
    }
    processes: list[subprocess.Popen] = []
    e2e: dict[int, list[float]] = {w: [] for w in args.workers}
    accept_alone: list[float] = []
    backlog: dict[int, list[float]] = {w: [] for w in args.workers}
    postfix: list[float] = []
    try:
        agent = make_agent()
        print(
            f"database: {connection.vendor}   bounces per round: {n}   rounds: {args.rounds}   "
            f"inbound workers: {' and '.join(map(str, args.workers))}   "
            f"addresses: {args.addresses}"
        )
        for round_ in range(1, args.rounds + 1):
            for workers in args.workers:
                # 1. End to end: the SMTP server and the workers, each its own process.
                tokens = queue_deliveries(n, agent, spread=args.addresses == "spread")
                first = build_dsns(tokens)
                vacuum()
                failed_before = failed_count()
                port = free_port()
                processes.append(start(env, "smtpd", "--port", str(port)))
                for _ in range(workers):
                    processes.append(start(env, "worker", "--queues", "inbound", "--poll", "0.05"))
                wait_for_port(port)
                t0 = time.perf_counter()
                accepted = send_all(port, first)
                wait_for_failures(failed_before + n)
                e2e[workers].append(time.perf_counter() - t0)
                stop(processes)
                assert accepted == n, accepted

            # 2. The SMTP accept alone (no worker), fresh copies of the last reports:
            # each 250 follows a committed, fsynced row. The baseline of the round.
            second = build_dsns(tokens)
            port = free_port()
            processes.append(start(env, "smtpd", "--port", str(port)))
            wait_for_port(port)
            t0 = time.perf_counter()
            accepted_alone = send_all(port, second)
            accept_alone.append(time.perf_counter() - t0)
            stop(processes)
            assert accepted_alone == n, accepted_alone
            drop_unprocessed()

            # 3. Postfix accepting the same messages.
            took = None if args.no_postfix else postfix_accept(second)
            if took:
                postfix.append(took)
            # 4. A stored backlog, drained by warm workers.
            if args.backlog:
                for workers in args.workers:
                    tokens = queue_deliveries(n, agent, spread=args.addresses == "spread")
                    backlog[workers].append(drain(env, build_dsns(tokens), workers, processes))
            print(
                f"round {round_}: "
                + "   ".join(f"{w} worker(s) {n / e2e[w][-1]:.0f}/s" for w in args.workers)
                + f"   accept alone {n / accept_alone[-1]:.0f}/s"
                + "".join(
                    f"   backlog, {w} worker(s) {n / backlog[w][-1]:.0f}/s"
                    for w in args.workers
                    if backlog[w]
                )
            )

        print(f"\nmedians of {args.rounds} rounds{'':13}{'msgs/s':>10}{'seconds':>10}")
        baseline = statistics.median(accept_alone)
        for w in args.workers:
            line(f"end to end, {w} worker(s)", n, statistics.median(e2e[w]))
        line("Buzón SMTP accept alone (fsync)", n, baseline)
        for w in args.workers:
            if backlog[w]:
                line(f"stored backlog, {w} worker(s)", n, statistics.median(backlog[w]))
        if postfix:
            line("Postfix accept (same messages)", n, statistics.median(postfix))
        print()
        for w in args.workers:
            print(
                f"end to end, {w} worker(s) / SMTP accept alone: "
                f"{baseline / statistics.median(e2e[w]):.2f}"
            )
        for w in args.workers:
            if backlog[w]:
                print(
                    f"stored backlog, {w} worker(s) / SMTP accept alone: "
                    f"{baseline / statistics.median(backlog[w]):.2f}"
                )
        if not postfix:
            print("Postfix: not measured (needs root, Postfix, and no --no-postfix)")
        check_recorded(n * args.rounds * len(args.workers) * (2 if args.backlog else 1))
    finally:
        stop(processes)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def test_database(prefix: str) -> tuple[Path, str]:
    """Django set up on a fresh test database (and a data directory named `prefix`…):
    the data directory, and the name to give `destroy_test_db`. On PostgreSQL the test
    database is named after the given one, so that it keeps its prefix."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("BUZON_DATA_DIR", str(data_dir))
    os.environ.setdefault("BUZON_TEST_SQLITE", str(data_dir / "bench.sqlite3"))
    os.environ.setdefault("BUZON_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"] + "_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return data_dir, old_name


def line(what: str, n: int, seconds: float) -> None:
    print(f"{what:40}{n / seconds:>10.0f}{seconds:>10.2f}")


# ----------------------------------------------------------------------- set-up


def make_agent():
    from buzon.tickets.models import Role, User

    return User.objects.create_user("agent@helpdesk.test", "Agent", role=Role.AGENT)


def queue_deliveries(n: int, agent, *, spread: bool = False) -> list[tuple[str, str, bytes]]:
    """N new queued deliveries through the real outbox, to people new to this set (a
    bounce suppresses its address): the same ten on every ticket, or with `spread` ten
    of its own on each; (return token, email, original)."""
    from buzon.deliveries.models import Delivery
    from buzon.tickets.models import User, Via
    from buzon.tickets.services import CommentInput, create_ticket

    tag = secrets.token_hex(3)

    def ten_people(group: int) -> list[User]:
        return [
            User.objects.create_user(f"user{i}-{group}-{tag}@example.org", f"User {i}")
            for i in range(10)
        ]

    people = ten_people(0)
    newest = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for i in range(n // 10):
        if spread and i:
            people = ten_people(i)
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": f"Ticket {i}",
                "requester_id": people[0].pk,
                "email_cc_ids": [p.pk for p in people[1:]],
            },
            comment=CommentInput(body=f"Hola, this is ticket {i}."),
        )
    rows = Delivery.objects.filter(id__gt=newest).select_related("email_notification")
    return [(d.return_token, d.email, d.email_notification.raw_message.encode()) for d in rows]


def build_dsns(tokens: list[tuple[str, str, bytes]]) -> list[tuple[str, bytes]]:
    from buzon.mail.sandbox import RULES, build_dsn
    from buzon.mail.verp import return_path

    rule = next(r for r in RULES if r.stage == "BOUNCE")
    return [
        (return_path(token), build_dsn(return_path(token), email, rule, original))
        for token, email, original in tokens
    ]


# ------------------------------------------------------------------- measuring


def send_all(port: int, messages: list[tuple[str, bytes]]) -> int:
    """Send from CLIENTS connections in parallel; how many got a 250."""
    shares = [messages[i::CLIENTS] for i in range(CLIENTS)]
    done = [0] * CLIENTS

    def client(i: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo("bench.example")
            for rcpt, raw in shares[i]:
                smtp.sendmail("", [rcpt], raw)
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def drain(env: dict[str, str], messages: list[tuple[str, bytes]], workers: int,
          processes: list[subprocess.Popen]) -> float:  # fmt: skip
    """Store `messages` with no worker running, hold them back, start `workers` and,
    once they are idle, make the backlog due: seconds until every one is recorded."""
    from django.db import connection
    from django.utils import timezone

    from buzon.mail.inbound.models import InboundMessage

    failed_before = failed_count()
    port = free_port()
    processes.append(start(env, "smtpd", "--port", str(port)))
    wait_for_port(port)
    accepted = send_all(port, messages)
    stop(processes)
    assert accepted == len(messages), accepted
    held = timezone.now() + timedelta(days=1)
    InboundMessage.objects.filter(state="received").update(next_attempt_at=held)
    vacuum()
    for _ in range(workers):
        processes.append(start(env, "worker", "--queues", "inbound", "--poll", "0.05"))
    time.sleep(WARM_UP)  # the workers import, connect and poll an empty queue
    t0 = time.perf_counter()
    InboundMessage.objects.filter(state="received").update(next_attempt_at=timezone.now())
    connection.close()
    wait_for_failures(failed_before + len(messages))
    took = time.perf_counter() - t0
    stop(processes)
    return took


def vacuum() -> None:
    """On PostgreSQL, what autovacuum would have done in production by now (this
    server runs without it): the rounds rewrite the queue's and the deliveries' rows."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        connection.close()


def failed_count() -> int:
    from django.db import connection

    from buzon.deliveries.models import Delivery

    count = Delivery.objects.filter(state="failed").count()
    connection.close()
    return count


def drop_unprocessed() -> None:
    """The accept-alone copies are not for the next round's workers."""
    from buzon.mail.inbound.models import InboundMessage

    InboundMessage.objects.filter(state="received").delete()


def wait_for_failures(n: int, timeout: float = 1800) -> None:
    from django.db import connection

    from buzon.deliveries.models import Delivery

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Delivery.objects.filter(state="failed").count() >= n:
            connection.close()
            return
        connection.close()
        time.sleep(0.1)
    raise SystemExit("the worker did not record every failure in time")


def check_recorded(n: int) -> None:
    from buzon.deliveries.models import Delivery
    from buzon.mail.inbound.models import InboundMessage

    failed = Delivery.objects.filter(state="failed", failure_source="dsn", reply_code=550).count()
    processed = InboundMessage.objects.filter(state="processed").count()
    if failed != n or processed < n:
        raise SystemExit(f"only {failed} failures recorded, {processed} messages processed")
    print(f"checked: {failed} deliveries failed (dsn, 550 5.1.1), {processed} messages processed")


def postfix_accept(messages: list[tuple[str, bytes]]) -> float | None:
    if os.geteuid() != 0 or not shutil.which("postfix"):
        return None
    with open("/tmp/buzon-postfix-sandbox.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        relay = free_port()
        env = {
            **os.environ,
            "RELAY_PORT": str(relay),
            "REMOTE_MX_PORT": str(free_port()),
            "INBOUND_PORT": str(free_port()),
            "INBOUND_DOMAIN": "helpdesk.test",
            "HOLD_DELIVERY": "yes",
        }
        subprocess.run(["bash", str(SCRIPT), "start"], env=env, check=True, timeout=120,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for_port(relay)
            t0 = time.perf_counter()
            accepted = send_all(relay, messages)
            took = time.perf_counter() - t0
        finally:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=120)
    if accepted != len(messages):
        raise SystemExit(f"Postfix accepted {accepted} of {len(messages)}")
    return took


# ---------------------------------------------------------------------- plumbing


def database_url(connection) -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "buzon.cli", *args], env=env, stdout=subprocess.DEVNULL
    )


def stop(processes: list[subprocess.Popen]) -> None:
    while processes:
        process = processes.pop()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
