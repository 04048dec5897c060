"""What live status costs: 50 open ticket pages polling the production server.

    .venv/bin/python bench/workspace/live_bench.py [--pages 50] [--seconds 10] [--rounds 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_livebench .venv/bin/python ...

Starts Buzón the way `make run` does (`buzon run`: gunicorn with BUZON_WEB_WORKERS
sync workers, the mail worker, the sandbox mail server) on a fresh database, opens one
ticket per page (each with a notification to 3 recipients), and runs one poller per
page that asks `/tickets/<id>/live/?v=<version>&to=<digest>` every second, as the page's htmx does.

Per round it measures an idle window (nothing changes) and a busy one (every second
one delivery of a random open ticket changes), and prints for each: checks answered,
204s and 200s, the client-side latency (median, p95), and the CPU the web workers
spent per check (utime+stime of the gunicorn processes, from /proc). It also counts,
in-process, the queries of one idle and one changed check. The baseline, measured in
the same run, is reloading the full ticket page (what an agent does without it).
Figures: medians over the rounds. Not a test: run it by hand (about a minute).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import free_port, wait_for_port

TICKS = os.sysconf("SC_CLK_TCK")
# The poller's query as the page writes it (`v=<version>&to=<the reply box's digest>`).
VERSION = re.compile(r'id="ticket-live"[^>]*hx-get="[^"]*\?(v=[^"]+)"')


def poll_query(html: str) -> str:
    match = VERSION.search(html)
    assert match, "no live poller on the page"
    return unescape(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="buzon-live-bench-") as tmp:
        env = server_env(Path(tmp))
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "buzon.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        tickets, cookie = seed(args.pages)
        print_query_counts(tickets[0])
        server = subprocess.Popen(
            [sys.executable, "-m", "buzon.cli", "run", "--no-demo"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for_port(int(env["BUZON_WEB_PORT"]), what="the web server")
            base = f"http://127.0.0.1:{env['BUZON_WEB_PORT']}"
            settle(tickets)
            measure(base, cookie, tickets, server.pid, args)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return 0


def server_env(tmp: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    sandbox = str(free_port())
    return {
        **os.environ,
        "DATABASE_URL": url,
        "BUZON_DATA_DIR": str(tmp),
        "BUZON_WEB_PORT": str(free_port()),
        "BUZON_SMTPD_PORT": str(free_port()),
        "BUZON_SANDBOX_PORT": sandbox,
        "BUZON_RELAY_PORT": sandbox,
        "BUZON_ALLOWED_HOSTS": "127.0.0.1,testserver",
    }


def seed(pages: int) -> tuple[list[int], str]:
    """One ticket per open page, each emailed to a requester and two CCs; a session."""
    from django.test import Client

    from buzon.tickets.models import Role, User, Via
    from buzon.tickets.services import CommentInput, create_ticket

    agent = User.objects.create_user("agent@helpdesk.test", "Agent", role=Role.AGENT)
    tickets = []
    for i in range(pages):
        people = [User.objects.create_user(f"p{i}-{k}@example.com", f"P {i} {k}") for k in range(3)]
        ticket = create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={
                "subject": f"Open page {i}",
                "requester_id": people[0].pk,
                "email_cc_ids": [p.pk for p in people[1:]],
                "status": "open",
            },
            comment=CommentInput(body="Hello"),
        )
        tickets.append(ticket.pk)
    client = Client()
    client.force_login(agent)
    return tickets, client.cookies["sessionid"].value


def print_query_counts(ticket_id: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from buzon.deliveries.models import Delivery
    from buzon.tickets.models import User

    client = Client()
    client.force_login(User.objects.get(email="agent@helpdesk.test"))
    html = client.get(f"/tickets/{ticket_id}/").content.decode()
    version = poll_query(html)
    with CaptureQueriesContext(connection) as idle:
        assert client.get(f"/tickets/{ticket_id}/live/?{version}").status_code == 204
    Delivery.objects.filter(ticket_id=ticket_id).update(updated_at=time_now())
    with CaptureQueriesContext(connection) as changed:
        assert client.get(f"/tickets/{ticket_id}/live/?{version}").status_code == 200
    own = [q for q in idle.captured_queries if "django_session" not in q["sql"]]
    own = [q for q in own if not q["sql"].startswith('SELECT "tickets_user"')]
    print(f"queries per check: idle {len(idle.captured_queries)} "
          f"(the check's own: {len(own)}; the rest: session and user), "
          f"changed {len(changed.captured_queries)}")  # fmt: skip
    print(f"  the idle check's query: {own[0]['sql'][:160]}…")


def time_now():
    from django.utils import timezone

    return timezone.now()


def settle(tickets: list[int], timeout: float = 60) -> None:
    """Wait until the worker has handed off every queued delivery (idle means idle)."""
    from buzon.deliveries.models import Delivery

    deadline = time.monotonic() + timeout
    while Delivery.objects.filter(ticket_id__in=tickets, state__in=["queued", "sending"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not hand off the deliveries")
        time.sleep(0.5)


def web_cpu_seconds(root: int) -> float:
    """CPU time (user+system) of the gunicorn processes under the `buzon run` process."""
    total = 0.0
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"gunicorn" not in cmdline:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


class Poller(threading.Thread):
    """One open page: asks every second with the version it holds, like htmx."""

    def __init__(self, base: str, cookie: str, ticket_id: int, version: str, until: float):
        super().__init__(daemon=True)
        self.url = f"{base}/tickets/{ticket_id}/live/?"
        self.cookie, self.version, self.until = cookie, version, until
        self.latencies: list[float] = []
        self.statuses: list[int] = []

    def run(self) -> None:
        while time.monotonic() < self.until:
            started = time.monotonic()
            request = urllib.request.Request(
                self.url + self.version, headers={"Cookie": f"sessionid={self.cookie}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read().decode()
                self.statuses.append(response.status)
            if response.status == 200:
                self.version = poll_query(body)
            self.latencies.append(time.monotonic() - started)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def fetch(base: str, cookie: str, path: str) -> str:
    request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def window(base, cookie, tickets, root, seconds, busy: bool) -> dict[str, float]:
    versions = {t: poll_query(fetch(base, cookie, f"/tickets/{t}/")) for t in tickets}
    until = time.monotonic() + seconds
    pollers = [Poller(base, cookie, t, versions[t], until) for t in tickets]
    cpu_before = web_cpu_seconds(root)
    for p in pollers:
        p.start()
    if busy:
        change_every_second(tickets, until)
    for p in pollers:
        p.join()
    cpu = web_cpu_seconds(root) - cpu_before
    latencies = [x for p in pollers for x in p.latencies]
    statuses = [s for p in pollers for s in p.statuses]
    return {
        "checks": len(statuses),
        "unchanged": statuses.count(204),
        "changed": statuses.count(200),
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": statistics.quantiles(latencies, n=100)[94] * 1000,
        "cpu_ms_per_check": cpu / len(statuses) * 1000,
        "cpu_share": cpu / seconds,
    }


def change_every_second(tickets: list[int], until: float) -> None:
    """A delivery of a random open ticket moves once a second (as a DSN would)."""
    from buzon.deliveries.models import Delivery

    while time.monotonic() < until:
        ticket = random.choice(tickets)
        Delivery.objects.filter(pk=Delivery.objects.filter(ticket_id=ticket).first().pk).update(
            updated_at=time_now()
        )
        time.sleep(1.0)


def page_reload(base: str, cookie: str, tickets: list[int], root: int) -> dict[str, float]:
    """The baseline: reloading the ticket page, one after another (latency, web CPU)."""
    samples = []
    cpu_before = web_cpu_seconds(root)
    for t in tickets:
        started = time.monotonic()
        fetch(base, cookie, f"/tickets/{t}/")
        samples.append(time.monotonic() - started)
    cpu = web_cpu_seconds(root) - cpu_before
    return {
        "median_ms": statistics.median(samples) * 1000,
        "cpu_ms": cpu / len(samples) * 1000,
    }


def measure(base: str, cookie: str, tickets: list[int], root: int, args) -> None:
    from django.db import connection

    workers = os.environ.get("BUZON_WEB_WORKERS", "2")
    print(f"{args.pages} open pages, one check a second each; {connection.vendor}; "
          f"gunicorn with {workers} sync workers (buzon run); {args.rounds} rounds "
          f"of {args.seconds:.0f} s per window")  # fmt: skip
    results: dict[str, list[dict[str, float]]] = {"idle": [], "busy": []}
    reloads = []
    for _ in range(args.rounds):
        reloads.append(page_reload(base, cookie, tickets, root))
        for name in results:
            results[name].append(
                window(base, cookie, tickets, root, args.seconds, busy=name == "busy")
            )
    base_ms = statistics.median(r["median_ms"] for r in reloads)
    base_cpu = statistics.median(r["cpu_ms"] for r in reloads)
    print(f"baseline, reloading the ticket page: median {base_ms:.1f} ms, "
          f"web CPU {base_cpu:.2f} ms per page")  # fmt: skip
    for name, rows in results.items():

        def med(key: str, rows=rows) -> float:
            return statistics.median(r[key] for r in rows)

        print(
            f"{name:5}: {med('checks'):.0f} checks ({med('unchanged'):.0f}× 204, "
            f"{med('changed'):.0f}× 200); latency median {med('median_ms'):.1f} ms, "
            f"p95 {med('p95_ms'):.1f} ms; web CPU {med('cpu_ms_per_check'):.2f} ms per "
            f"check ({med('cpu_ms_per_check') / base_cpu:.2f}× a page reload), "
            f"{med('cpu_share') * 100:.1f}% of one core"
        )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2-core machine)")


if __name__ == "__main__":
    raise SystemExit(main())
