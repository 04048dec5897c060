"""Server time of the ticket page and the failures view on a large database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buzon_bench \
        .venv/bin/python bench/workspace/bench.py [--tickets 100000] [--comments-per-ticket 10]

Generates (once; re-used when already there) N tickets with 10 comments each, 2 % of
them tagged `system_email_notification_failure` and with a notification per public
comment, then requests the pages in-process through Django's test client (middleware,
view, queries, templates: the whole server side, no network) and prints the median
and 95th percentile per page, and the number of queries per request.

Generation uses set-based SQL (generate_series on PostgreSQL, a recursive CTE on
SQLite), so 1,000,000 comments take seconds, not hours. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments-per-ticket", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buzon.settings")
    os.environ.setdefault("BUZON_ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args.tickets, args.comments_per_ticket)
    run(args.requests)
    return 0


SERIES_PG = "SELECT g AS n FROM generate_series(1, {count}) AS g"
SERIES_SQLITE = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) "
    "SELECT n FROM s"
)


def series(count: int) -> str:
    from django.db import connection

    template = SERIES_PG if connection.vendor == "postgresql" else SERIES_SQLITE
    return template.format(count=int(count))


def minus_seconds(param: str, seconds: str) -> str:
    """SQL for a timestamp parameter minus a number of seconds, in either database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({param}::timestamptz - ({seconds}) * interval '1 second')"
    return f"datetime({param}, '-' || ({seconds}) || ' seconds')"


def generate(tickets: int, per_ticket: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from buzon.rules.standard import FAILURE_TAG
    from buzon.tickets.models import Comment, Role, Ticket, User

    if Ticket.objects.count() >= tickets:
        print(f"re-using {Ticket.objects.count()} tickets, {Comment.objects.count()} comments")
        return
    started = time.monotonic()
    now = timezone.now()
    with transaction.atomic():
        agent = User.objects.filter(email="bench-agent@helpdesk.test").first()
        if agent is None:
            agent = User.objects.create_user(
                "bench-agent@helpdesk.test", "Bench Agent", role=Role.AGENT
            )
        users = [User(email=f"user{i}@example.com", name=f"User {i}") for i in range(1000)]
        User.objects.bulk_create(users, ignore_conflicts=True)
        first_user = User.objects.filter(email="user0@example.com").values_list("pk", flat=True)[0]
        with connection.cursor() as c:
            statuses = "CASE n %% 6 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'pending' WHEN 3 THEN 'hold' WHEN 4 THEN 'solved' ELSE 'closed' END"  # noqa: E501
            encoded = (
                "'B' || substr('000000000' || n, -9, 9)"
                if connection.vendor == "sqlite"
                else "'B' || lpad(n::text, 9, '0')"
            )
            c.execute(
                f"""
                INSERT INTO tickets_ticket (subject, description, status, priority, type,
                    requester_id, submitter_id, assignee_id, via, encoded_id,
                    created_at, updated_at)
                SELECT 'Generated ticket ' || n, 'x', {statuses}, '', '',
                    {first_user} + (n %% 1000), {agent.pk},
                    CASE WHEN n %% 3 = 0 THEN {agent.pk} ELSE NULL END, 'web', {encoded},
                    {minus_seconds("%s", "2 * n")}, {minus_seconds("%s", "n")}
                FROM ({series(tickets)}) AS s
                """,
                [now, now],
            )
            c.execute("SELECT min(id), max(id) FROM tickets_ticket")
            low, high = c.fetchone()
            comments = tickets * per_ticket
            c.execute(
                f"""
                INSERT INTO tickets_comment (ticket_id, author_id, body, html_body, public, via,
                    attachments, metadata, created_at)
                SELECT {low} + ((n - 1) %% {tickets}), {agent.pk},
                    'Generated comment ' || n, '<p>Generated comment ' || n || '</p>',
                    n %% 4 <> 0, 'web', '[]', '{{}}', %s
                FROM ({series(comments)}) AS s
                """,
                [now],
            )
            # 2 % of tickets carry the failure tag.
            c.execute(
                f"""
                INSERT INTO tickets_tickettag (ticket_id, name)
                SELECT id, %s FROM tickets_ticket WHERE id %% 50 = 0 AND id BETWEEN {low} AND {high}
                """,
                [FAILURE_TAG],
            )
            notifications = add_notifications(c, agent.pk)
        print(
            f"generated {tickets} tickets, {tickets * per_ticket} comments and "
            f"{notifications} notifications in {time.monotonic() - started:.0f}s"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")


def add_notifications(c, agent_id: int) -> int:
    """An audit, a Notification event and a notification to the requester for every public
    comment of the tagged tickets, so their ticket pages show recipient lines."""
    from django.db import connection

    metadata = """'{"bench_comment": ' || cm.id || '}'"""
    if connection.vendor == "postgresql":
        comment_of = "(a.metadata->>'bench_comment')::bigint"
        metadata = f"({metadata})::jsonb"
    else:
        comment_of = "CAST(json_extract(a.metadata, '$.bench_comment') AS INTEGER)"
    c.execute(
        f"""
        INSERT INTO tickets_audit (ticket_id, author_id, via, metadata, created_at)
        SELECT cm.ticket_id, cm.author_id, 'web', {metadata}, cm.created_at
        FROM tickets_comment cm JOIN tickets_tickettag tg ON tg.ticket_id = cm.ticket_id
        WHERE cm.public
        """
    )
    c.execute(
        f"""
        INSERT INTO tickets_auditevent (audit_id, type, field_name, comment_id, data)
        SELECT a.id, 'Notification', '', NULL, '{{}}' FROM tickets_audit a
        WHERE {comment_of} IS NOT NULL
        """
    )
    c.execute(
        f"""
        INSERT INTO tickets_notification (ticket_id, event_id, comment_id, trigger_id,
            trigger_title, author_id, subject, body, created_at)
        SELECT a.ticket_id, e.id, {comment_of}, NULL,
            'Notify requester and CCs of comment update', {agent_id}, 'Re: generated', 'x',
            a.created_at
        FROM tickets_auditevent e JOIN tickets_audit a ON a.id = e.audit_id
        WHERE e.type = 'Notification' AND {comment_of} IS NOT NULL
        """
    )
    c.execute(
        """
        INSERT INTO tickets_notificationrecipient (notification_id, user_id, name, email, kind)
        SELECT n.id, u.id, u.name, u.email, 'to'
        FROM tickets_notification n JOIN tickets_ticket t ON t.id = n.ticket_id
        JOIN tickets_user u ON u.id = t.requester_id
        """
    )
    c.execute("SELECT count(*) FROM tickets_notification")
    return c.fetchone()[0]


def run(requests: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from buzon.rules.models import View
    from buzon.tickets.models import Ticket, User

    agent = User.objects.get(email="bench-agent@helpdesk.test")
    client = Client()
    client.force_login(agent)
    low = Ticket.objects.order_by("id").values_list("id", flat=True).first()
    high = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    failures = View.objects.get(title="Tickets with email delivery failures")
    tagged = list(failures.tickets().values_list("id", flat=True)[:500])
    rng = random.Random(7)
    pages = {
        "ticket page": lambda: f"/tickets/{rng.randint(low, high)}/",
        "ticket page, notified": lambda: f"/tickets/{rng.choice(tagged)}/",
        "ticket events log": lambda: f"/tickets/{rng.randint(low, high)}/?log=events",
        "failures view": lambda: f"/views/{failures.pk}/",
        "failures view, page 20": lambda: f"/views/{failures.pk}/?page=20",
        "sidebar counts (htmx)": lambda: f"/views/counts/?current={failures.pk}",
    }
    print(f"database: {connection.vendor}; {requests} requests per page")
    print(f"{'page':26} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    assert tagged, "no tagged tickets"
    for name, url in pages.items():
        for _ in range(5):  # warm caches and connections
            client.get(url())
        times = []
        queries = 0
        for _ in range(requests):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url())
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            queries = max(queries, len(captured))
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:26} {statistics.median(times):10.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    sys.exit(main())
