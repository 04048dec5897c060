"""Time search queries on a generated help desk: median and p95 per query.

    createdb -h 127.0.0.1 -U postgres buzon_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_search_bench \\
        .venv/bin/python bench/search/bench_search.py --tickets 100000 --comments 10

The data is made once (bulk inserts, not the services: a million comments through
create_ticket would take hours) and kept, so later runs only time. Each query is
timed as the API runs it: parse and compile, then the first page of 100
results; parse and compile, then the count.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")

import django

django.setup()

from benchlib import ms, timings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

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
    "quokka",
    "factura",
    '"cobro doble"',
    "factura -tags:billing status<solved",
]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=10, help="comments per ticket")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if Ticket.objects.count() < args.tickets:
        generate(args.tickets, args.comments)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    agent = User.objects.filter(role=Role.AGENT).first()
    print(
        f"{connection.vendor}: {Ticket.objects.count():,} tickets, "
        f"{Comment.objects.count():,} comments, {TicketTag.objects.count():,} tags"
    )
    print(f"{'query':<48} {'hits':>7} {'page p50':>9} {'p95':>7} {'count p50':>10} {'p95':>7}")
    for text in QUERIES:
        # Parse and compile inside the timing, as every API request does.
        page = timings(lambda t=text: list(compile_tickets(t, user=agent)[:100]), args.runs)
        counts = timings(lambda t=text: compile_tickets(t, user=agent).count(), args.runs)
        hits = compile_tickets(text, user=agent).count()
        print(
            f"{text[:48]:<48} {hits:>7} {ms(page, 50):>9} {ms(page, 95):>7} "
            f"{ms(counts, 50):>10} {ms(counts, 95):>7}"
        )


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
        created = Ticket.objects.bulk_create(
            [fake_ticket(rng, vocabulary, agents, customers, now) for _ in range(size)]
        )
        TicketTag.objects.bulk_create(
            [TicketTag(ticket=t, name=name) for t in created for name in fake_tags(rng)]
        )
        Comment.objects.bulk_create(
            [
                fake_comment(rng, vocabulary, t, agents, customers)
                for t in created
                for _ in range(comments_per_ticket)
            ],
            batch_size=BATCH,
        )
        print(f"  {offset + size:,}", end="\r", flush=True)
    print()


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


def fake_comment(rng, vocabulary, ticket, agents, customers) -> Comment:
    words = rng.choices(vocabulary, k=rng.randrange(15, 45))
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
        public=rng.random() < 0.8,
        created_at=ticket.created_at,
    )


if __name__ == "__main__":
    main()
