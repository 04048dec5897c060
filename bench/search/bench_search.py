"""Time search through the API on a generated help desk: p50 and p95 per query.

    createdb -h 127.0.0.1 -U postgres buzon_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_search_bench \\
        .venv/bin/python bench/search/bench_search.py --tickets 100000 --comments 10

    BUZON_DATA_DIR=/tmp/buzon-search-bench .venv/bin/python bench/search/bench_search.py

The data is made once (bulk inserts, not the services: a million comments through
create_ticket would take hours) and kept, so later runs only time. On PostgreSQL the
generation ends with `VACUUM (ANALYZE)`, as autovacuum would do after such writes in
production (it sets the visibility map that index-only scans rely on). Every query is
timed as a client sees it minus the network: `GET /api/v2/search.json?query=…`
(the first page of 100 with its count) and `GET /api/v2/search/count.json?query=…`,
through the whole Django stack (Django's test client, token authentication).

The baseline, timed in the same rounds, is the plain ticket list
`GET /api/v2/tickets.json?page[size]=100`: the same 100 tickets serialised, no
search. Each round times the baseline and every query `--runs` times; the figures
are the medians, over `--rounds` rounds, of each round's p50 and p95.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
os.environ.setdefault("BUZON_API_RATE_LIMIT", "0")

import django

django.setup()

from benchlib import timings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from buzon.api.models import ApiToken  # noqa: E402
from buzon.rules.standard import FAILURE_TAG  # noqa: E402
from buzon.search import compile_tickets  # noqa: E402
from buzon.tickets.models import (  # noqa: E402
    Comment,
    Priority,
    Role,
    Status,
    Ticket,
    TicketTag,
    User,
    Via,
    new_encoded_id,
)

QUERIES = [
    f"type:ticket tags:{FAILURE_TAG}",
    f"type:ticket tags:{FAILURE_TAG} status<solved",
    "tags:vip tags:billing status:open",
    "status:open assignee:none",
    "requester:customer42@example.com",
    "created>30days order_by:priority",
    "quokka",  # in ~50 comments
    "factura",  # in ~6 % of the tickets
    "impres*",
    '"cobro doble"',
    "factura -tags:billing status<solved",
    "gracias",  # in every ticket
    "gracias status:open",
    "gracias order_by:created_at sort:asc",
]
EVERY_TICKET_WORD = "gracias"
SPANISH = [
    "factura",
    "cobro",
    "doble",
    "envío",
    "paquete",
    "impresora",
    "contraseña",
    "acceso",
    "cuenta",
    "pedido",
]
BATCH = 5000
BASELINE = ("baseline: tickets?page[size]=100", "/api/v2/tickets.json?page[size]=100")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=10, help="comments per ticket")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if Ticket.objects.count() < args.tickets:
        generate(args.tickets, args.comments)
        call_command("search", "reindex")  # bulk inserts bypass the index
        if connection.vendor == "postgresql":
            # What autovacuum does in production after bulk writes: sets the visibility
            # map (index-only scans skip the heap) and the planner's statistics.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_test_environment()  # lets the test client run against this database
    agent = User.objects.filter(role=Role.AGENT).order_by("id").first()
    _, token = ApiToken.create_for(agent, "benchmark")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    print(
        f"{connection.vendor}: {Ticket.objects.count():,} tickets, "
        f"{Comment.objects.count():,} comments, {TicketTag.objects.count():,} tags; "
        f"{args.rounds} rounds of {args.runs} runs"
    )
    requests = [BASELINE]
    for text in QUERIES:
        requests.append((text, f"/api/v2/search.json?query={quote(text)}"))
        requests.append(("  count", f"/api/v2/search/count.json?query={quote(text)}"))
    answers = {}
    for _, url in requests:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        answers[url] = response.json()
    rounds: dict[str, list[tuple[float, float]]] = {url: [] for _, url in requests}
    for _ in range(args.rounds):
        for _, url in requests:
            samples = timings(lambda u=url: client.get(u), args.runs)
            rounds[url].append((percentile(samples, 50), percentile(samples, 95)))
    base_p95 = statistics.median(p95 for _, p95 in rounds[BASELINE[1]])
    print(f"{'request':<62} {'hits':>7} {'count':>7} {'p50':>8} {'p95':>8} {'p95/base':>8}")
    for label, url in requests:
        p50 = statistics.median(p for p, _ in rounds[url])
        p95 = statistics.median(p for _, p in rounds[url])
        hits = count = ""
        if "search.json" in url:
            text = label
            hits = f"{compile_tickets(text, user=agent).count():,}"
            count = f"{answers[url]['count']:,}"
        print(
            f"{label[:62]:<62} {hits:>7} {count:>7} {p50 * 1000:>6.1f}ms {p95 * 1000:>6.1f}ms "
            f"{p95 / base_p95:>7.2f}x"
        )


def percentile(samples: list[float], percentile: int) -> float:
    if percentile == 50:
        return statistics.median(samples)
    return statistics.quantiles(samples, n=100, method="inclusive")[percentile - 1]


def generate(tickets: int, comments_per_ticket: int) -> None:
    rng = random.Random(42)
    vocabulary = [f"w{i}" for i in range(5000)] + SPANISH
    now = timezone.now()
    print(f"generating {tickets:,} tickets with {comments_per_ticket} comments each…")
    with transaction.atomic():
        agents = [
            User.objects.create_user(f"agent{i}@helpdesk.test", f"Agent {i}", role=Role.AGENT)
            for i in range(20)
        ]
        customers = [
            User.objects.create_user(f"customer{i}@example.com", f"Customer {i}")
            for i in range(1000)
        ]
    start = Ticket.objects.count()
    for offset in range(start, tickets, BATCH):
        size = min(BATCH, tickets - offset)
        with transaction.atomic():
            add_batch(rng, vocabulary, agents, customers, now, size, comments_per_ticket)
        print(f"  {offset + size:,}", end="\r", flush=True)
    print()


def add_batch(rng, vocabulary, agents, customers, now, size: int, comments_per_ticket: int):
    created = Ticket.objects.bulk_create(
        [fake_ticket(rng, vocabulary, agents, customers, now) for _ in range(size)]
    )
    TicketTag.objects.bulk_create(
        [TicketTag(ticket=t, name=name) for t in created for name in fake_tags(rng)]
    )
    Comment.objects.bulk_create(
        [
            fake_comment(rng, vocabulary, t, agents, customers, first=n == 0)
            for t in created
            for n in range(comments_per_ticket)
        ],
        batch_size=BATCH,
    )


def fake_ticket(rng, vocabulary, agents, customers, now) -> Ticket:
    created = now - timedelta(minutes=rng.randrange(60 * 24 * 365))
    return Ticket(
        subject=" ".join(rng.choices(vocabulary, k=6)),
        status=rng.choice(Status.values),
        priority=rng.choice([*Priority.values, ""]),
        requester=rng.choice(customers),
        submitter=rng.choice(customers),
        assignee=rng.choice([*agents, None]),
        via=rng.choice([Via.EMAIL, Via.WEB, Via.API]),
        encoded_id=new_encoded_id(),
        created_at=created,
        updated_at=created + timedelta(minutes=rng.randrange(60 * 24 * 30)),
    )


def fake_tags(rng) -> list[str]:
    tags = []
    for name, share in ((FAILURE_TAG, 0.01), ("vip", 0.1), ("billing", 0.2)):
        if rng.random() < share:
            tags.append(name)
    return tags


def fake_comment(rng, vocabulary, ticket, agents, customers, *, first: bool) -> Comment:
    """15-45 random words; the first comment (the description) is public and ends
    with a word every ticket has."""
    words = rng.choices(vocabulary, k=rng.randrange(15, 45))
    if first:
        words.append(EVERY_TICKET_WORD)
    if rng.random() < 0.00005:
        words.append("quokka")
    if rng.random() < 0.001:
        words += ["cobro", "doble"]
    body = " ".join(words)
    return Comment(
        ticket=ticket,
        author=rng.choice([*agents, *customers]),
        body=body,
        html_body=f"<p>{body}</p>",
        public=first or rng.random() < 0.8,
        created_at=ticket.created_at,
    )


if __name__ == "__main__":
    main()
