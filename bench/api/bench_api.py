"""Time API requests on a generated help desk: p50 and p95 per request.

    createdb -h 127.0.0.1 -U postgres buzon_api_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_api_bench \\
        .venv/bin/python bench/api/bench_api.py --tickets 100000

    BUZON_DATA_DIR=/tmp/buzon-api-bench .venv/bin/python bench/api/bench_api.py   # SQLite

Each request goes through the whole Django stack (middleware, token authentication,
rate limiting, the view, JSON), with Django's test client, so the figures are what
a client sees minus the network. The data is made once with bulk inserts (the
services would take hours for 100,000 tickets) and kept, so later runs only time:
ten comments a ticket (a million in all); 1 % of the tickets carry the failure tag;
a third have an email notification with three recipients, one of which failed.
On PostgreSQL the generation ends with `VACUUM (ANALYZE)`, as autovacuum would do
after such writes in production (it sets the visibility map that index-only scans
rely on).

The baseline is the plain ticket list `tickets?page[size]=100` (the same 100
tickets serialised, no search), timed in the same rounds; each round times every
request `--runs` times, and the figures are the medians, over `--rounds` rounds, of
each round's p50 and p95.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
from datetime import timedelta
from pathlib import Path

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
from buzon.deliveries.models import Delivery, EmailNotification  # noqa: E402
from buzon.rules.standard import FAILURE_TAG  # noqa: E402
from buzon.smtpcodes import zendesk_status  # noqa: E402
from buzon.tickets.models import (  # noqa: E402
    Audit,
    AuditEvent,
    Comment,
    EventType,
    Notification,
    NotificationRecipient,
    Priority,
    Role,
    Status,
    Ticket,
    TicketTag,
    User,
    Via,
    new_encoded_id,
)

BATCH = 5000
SEARCH = f"type:ticket tags:{FAILURE_TAG}"
BASELINE = ("baseline: tickets?page[size]=100", "/api/v2/tickets.json?page[size]=100")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=10, help="comments per ticket")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per request and round")
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

    # A ticket with the failure tag and an email notification.
    notified = Notification.objects.filter(ticket__tags__name=FAILURE_TAG).order_by("id")
    failing = Ticket.objects.get(pk=notified.values_list("ticket_id", flat=True)[:1].get())
    requests = [
        BASELINE,
        (f"search?query={SEARCH}", f"/api/v2/search.json?query={SEARCH}"),
        (f"search/count?query={SEARCH}", f"/api/v2/search/count.json?query={SEARCH}"),
        (
            "email_notifications?filter[ticket_id]=…",
            f"/api/v2/email_notifications.json?filter[ticket_id]={failing.pk}",
        ),
        ("tickets/{id}", f"/api/v2/tickets/{failing.pk}.json"),
    ]
    print(
        f"{connection.vendor}: {Ticket.objects.count():,} tickets, "
        f"{Comment.objects.count():,} comments, "
        f"{TicketTag.objects.filter(name=FAILURE_TAG).count():,} with the failure tag, "
        f"{Notification.objects.count():,} notifications; "
        f"{args.rounds} rounds of {args.runs} runs"
    )
    sizes = {}
    for _, url in requests:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        sizes[url] = len(response.content)
    rounds: dict[str, list[tuple[float, float]]] = {url: [] for _, url in requests}
    for _ in range(args.rounds):
        for _, url in requests:
            samples = timings(lambda u=url: client.get(u), args.runs)
            rounds[url].append((percentile(samples, 50), percentile(samples, 95)))
    base_p95 = statistics.median(p95 for _, p95 in rounds[BASELINE[1]])
    print(f"{'request':<52} {'bytes':>8} {'p50':>8} {'p95':>8} {'p95/base':>8}")
    for label, url in requests:
        p50 = statistics.median(p for p, _ in rounds[url])
        p95 = statistics.median(p for _, p in rounds[url])
        print(
            f"{label:<52} {sizes[url]:>8,} {p50 * 1000:>6.1f}ms {p95 * 1000:>6.1f}ms "
            f"{p95 / base_p95:>7.2f}x"
        )


def percentile(samples: list[float], percentile: int) -> float:
    if percentile == 50:
        return statistics.median(samples)
    return statistics.quantiles(samples, n=100, method="inclusive")[percentile - 1]


# ---------------------------------------------------------------- data


def generate(tickets: int, comments_per_ticket: int) -> None:
    rng = random.Random(7)
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
    for offset in range(Ticket.objects.count(), tickets, BATCH):
        size = min(BATCH, tickets - offset)
        with transaction.atomic():
            created = Ticket.objects.bulk_create(
                [fake_ticket(rng, agents, customers, now) for _ in range(size)]
            )
            TicketTag.objects.bulk_create(
                [TicketTag(ticket=t, name=name) for t in created for name in fake_tags(rng)]
            )
            comments = Comment.objects.bulk_create(
                [
                    fake_comment(rng, t, agents, customers)
                    for t in created
                    for _ in range(comments_per_ticket)
                ],
                batch_size=BATCH,
            )
            firsts = comments[::comments_per_ticket]
            notify = [c for c in firsts if rng.random() < 0.33]
            add_notifications(rng, notify, customers)
        print(f"  {offset + size:,}", end="\r", flush=True)
    print()


def add_notifications(rng, comments, customers) -> None:
    audits = Audit.objects.bulk_create(
        [Audit(ticket_id=c.ticket_id, author_id=c.author_id, via=Via.WEB) for c in comments]
    )
    events = AuditEvent.objects.bulk_create(
        [AuditEvent(audit=a, type=EventType.NOTIFICATION, data={}) for a in audits]
    )
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                ticket_id=c.ticket_id, event=e, comment=c, trigger_id=3,
                trigger_title="Notify requester and CCs of comment update",
                subject="Re: your request", body="…", created_at=c.created_at,
            )
            for c, e in zip(comments, events, strict=True)
        ]
    )  # fmt: skip
    recipients = NotificationRecipient.objects.bulk_create(
        [
            NotificationRecipient(
                notification=n, user=u, name=u.name, email=u.email, kind="to" if i == 0 else "cc"
            )
            for n in notifications
            for i, u in enumerate(rng.sample(customers, 3))
        ]
    )
    add_deliveries(rng, notifications, recipients)


def add_deliveries(rng, notifications, recipients) -> None:
    failed = zendesk_status(550, "5.1.1")
    delivered = zendesk_status(250)
    emails = EmailNotification.objects.bulk_create(
        [
            EmailNotification(
                notification=n, ticket_id=n.ticket_id, comment_id=n.comment_id,
                message_id=f"{secrets.token_hex(12)}@helpdesk.test", subject=n.subject,
                created_at=n.created_at,
            )
            for n in notifications
        ]
    )  # fmt: skip
    by_notification = {e.notification_id: e for e in emails}
    rows = []
    for index, recipient in enumerate(recipients):
        email = by_notification[recipient.notification_id]
        fails = index % 3 == 2
        status = failed if fails else delivered
        rows.append(
            Delivery(
                recipient=recipient, email_notification=email, ticket_id=email.ticket_id,
                user_id=recipient.user_id, email=recipient.email, name=recipient.name,
                kind=recipient.kind, state="failed" if fails else "handed_off", attempts=1,
                expires_at=email.created_at + timedelta(days=5),
                return_token=secrets.token_hex(12),
                failure_source="smtp" if fails else "", reply_code=550 if fails else None,
                enhanced_status="5.1.1" if fails else "", reason="userunknown" if fails else "",
                diagnostic="5.1.1 user unknown" if fails else "", hard=fails,
                zendesk_status_id=status.id, zendesk_status_name=status.name,
                zendesk_status_code=status.code,
            )
        )  # fmt: skip
    Delivery.objects.bulk_create(rows, batch_size=BATCH)


def fake_ticket(rng, agents, customers, now) -> Ticket:
    created = now - timedelta(minutes=rng.randrange(60 * 24 * 365))
    return Ticket(
        subject=f"Pedido {rng.randrange(10**6)}",
        description="…",
        status=rng.choice(Status.values),
        priority=rng.choice([*Priority.values, ""]),
        requester=rng.choice(customers),
        submitter=rng.choice(agents),
        assignee=rng.choice([*agents, None]),
        via=rng.choice([Via.EMAIL, Via.WEB, Via.API]),
        encoded_id=new_encoded_id(),
        created_at=created,
        updated_at=created + timedelta(minutes=rng.randrange(60 * 24 * 30)),
    )


def fake_tags(rng) -> list[str]:
    return [
        name
        for name, share in ((FAILURE_TAG, 0.01), ("vip", 0.1), ("billing", 0.2))
        if rng.random() < share
    ]


def fake_comment(rng, ticket, agents, customers) -> Comment:
    body = f"Mensaje sobre el pedido {rng.randrange(10**6)}"
    return Comment(
        ticket=ticket, author=rng.choice([*agents, *customers]), body=body,
        html_body=f"<p>{body}</p>", public=True, created_at=ticket.created_at,
    )  # fmt: skip


if __name__ == "__main__":
    main()
