"""Server time of the workspace's history-sized pages on a large help desk.

    createdb -h 127.0.0.1 -U postgres buzon_ws_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_ws_bench \\
        .venv/bin/python bench/workspace/bench.py [--scale 1] [--rounds 3] [--requests 40]

    BUZON_DATA_DIR=/tmp/buzon-ws-bench .venv/bin/python bench/workspace/bench.py --scale 0.1

Generates the data once (`generate.py`: at scale 1, 100,000 tickets, 1,000,000
comments, 750,000 notifications, 2.25 million deliveries of which about 3 %
failed, with their failure audits, tags and suppressions) and re-uses it on later
runs of the same scale; `--regenerate` empties the database first. Then requests
each page in-process through Django's test client (middleware, view, queries,
templates: the whole server side, no network), `--requests` times per round, and
prints the medians over `--rounds` rounds of each round's p50 and p95, the most
queries one request made, and the ratio of the p50 to the baseline's, a page that
reads nothing but the session and the signed-in user (an unknown ticket's 404
page), timed in the same rounds.
Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
os.environ.setdefault("BUZON_ALLOWED_HOSTS", "testserver,127.0.0.1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 tickets")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="per page and round")
    parser.add_argument("--regenerate", action="store_true", help="empty the database first")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    import generate
    from django.core.management import call_command

    from buzon.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if args.regenerate:
        call_command("flush", interactive=False, verbosity=0)
        # The standard views and triggers, which a migration seeds.
        from django.apps import apps

        import_module("buzon.rules.migrations.0002_standard_rules").create_standard_rules(
            apps, None
        )
    wanted = max(100, round(100_000 * args.scale))
    present = Ticket.objects.count()
    if present and present != wanted:
        raise SystemExit(f"the database holds {present} tickets, not {wanted}: --regenerate")
    if present:
        print(f"re-using the data: {generate._counts()}")
    else:
        started = time.monotonic()
        counts = generate.generate(args.scale)
        print(f"generated in {time.monotonic() - started:.0f}s: {counts}")
    if not args.generate_only:
        run(args.rounds, args.requests)
    return 0


BASELINE = "baseline: unknown ticket"


def pages() -> dict[str, Callable[[], str]]:
    from django.db.models import Count

    from buzon.deliveries.models import Delivery
    from buzon.rules.models import View
    from buzon.rules.standard import FAILURE_TAG
    from buzon.tickets.models import Ticket, TicketTag

    low = Ticket.objects.order_by("id").values_list("id", flat=True).first()
    high = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    failures = View.objects.get(title="Tickets with email delivery failures")
    tagged = list(
        TicketTag.objects.filter(name=FAILURE_TAG).values_list("ticket_id", flat=True)[:500]
    )
    failing_users = list(
        Delivery.objects.filter(state="failed", user_id__isnull=False)
        .values("user_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .order_by("user_id")
        .values_list("user_id", flat=True)[:200]
    )
    assert tagged and failing_users, "no failures generated"
    rng = random.Random(7)
    return {
        BASELINE: lambda: "/tickets/0/",
        "ticket page": lambda: f"/tickets/{rng.randint(low, high)}/",
        "ticket page, a failure": lambda: f"/tickets/{rng.choice(tagged)}/",
        "ticket events log": lambda: f"/tickets/{rng.choice(tagged)}/?log=events",
        "failures view": lambda: f"/views/{failures.pk}/",
        "failures view, page 20": lambda: f"/views/{failures.pk}/?page=20",
        "sidebar counts (htmx)": lambda: f"/views/counts/?current={failures.pk}",
        "delivery health": lambda: "/health/",
        "profile with failures": lambda: f"/users/{rng.choice(failing_users)}/",
    }


def run(rounds: int, requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from buzon.deliveries.models import Delivery
    from buzon.tickets.models import User

    client = Client()
    client.force_login(User.objects.get(email="bench-agent@helpdesk.test"))
    urls = pages()
    p50s: dict[str, list[float]] = {name: [] for name in urls}
    p95s: dict[str, list[float]] = {name: [] for name in urls}
    queries: dict[str, int] = dict.fromkeys(urls, 0)
    for url in urls.values():  # warm caches and connections
        for _ in range(3):
            client.get(url())
    for _ in range(rounds):
        for name, url in urls.items():
            times = []
            for _ in range(requests):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(url())
                    times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == (404 if name == BASELINE else 200), name
                queries[name] = max(queries[name], len(captured))
            p50s[name].append(statistics.median(times))
            p95s[name].append(statistics.quantiles(times, n=100, method="inclusive")[94])
    deliveries = Delivery.objects.count()
    print(
        f"database: {connection.vendor}; {deliveries} deliveries; {rounds} rounds of "
        f"{requests} requests per page; medians over the rounds"
    )
    print(f"{'page':26} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'p50 / baseline':>15}")
    baseline = statistics.median(p50s[BASELINE])
    for name in urls:
        p50, p95 = statistics.median(p50s[name]), statistics.median(p95s[name])
        print(f"{name:26} {p50:8.1f} {p95:8.1f} {queries[name]:8d} {p50 / baseline:15.1f}")


if __name__ == "__main__":
    sys.exit(main())
