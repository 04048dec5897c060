"""A help desk with a year of history, made with set-based SQL for `bench.py`.

At scale 1: 100,000 tickets, 1,000,000 comments (three in four public), 20,000
customers, one notification per public comment (750,000) to the requester and the
ticket's CCs (1–4 recipients, 2.25 million deliveries), about 3 % of the
deliveries failed: customers with a bad address fail every time (the first failure
from the receiving server, the later ones "not sent: suppressed" when the failure
was hard and the address's fault), plus a few failures of any address (reputation,
content, expiry, our set-up). Each failure has its failure audit (a
`DeliveryFailure` event by the system user), its ticket the failure tag, its
address a suppression when the failure was hard and recipient-side, and its
identity marked undeliverable.

Rows get explicit ids computed from the comment's id (comment n → audit n,
notification n, recipients 4n…4n+3), so no insert needs a join to find the row it
belongs to; the sequences are reset afterwards. Pseudo-random choices are modular
hashes of ids, so the same scale always gives the same data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

COMMENTS_PER_TICKET = 10
YEAR = 365 * 24 * 3600
BAD_ADDRESS_PER_MILLE = 27  # customers whose address fails every time
RANDOM_FAILURE_PER_MILLE = 3  # failures of a good address
PUBLIC_DOMAINS = (
    (30, "gmail.com"), (45, "outlook.com"), (55, "yahoo.com"), (60, "hotmail.com"),
    (65, "icloud.com"), (68, "gmx.de"),
)  # fmt: skip
COMPANY_DOMAINS = 300


@dataclass(frozen=True)
class FailureKind:
    reason: str
    blame: str
    reply_code: int
    enhanced: str
    hard: bool
    source: str
    remote_mta: str
    diagnostic: str


# A bad address fails with one of the first five; any address, rarely, with the rest.
BAD_ADDRESS_KINDS = (
    FailureKind("userunknown", "address", 550, "5.1.1", True, "smtp", "mx.{domain}",
                "550 5.1.1 <{email}>: Recipient address rejected: User unknown"),
    FailureKind("hostunknown", "address", 550, "5.1.2", True, "smtp", "",
                "Host or domain name not found. Name service error for name={domain}"),
    FailureKind("mailboxfull", "mailbox", 452, "4.2.2", False, "expired", "mx.{domain}",
                "452 4.2.2 The email account that you tried to reach is over quota"),
    FailureKind("suspend", "mailbox", 550, "5.2.1", True, "dsn", "mx.{domain}",
                "550 5.2.1 The email account that you tried to reach is disabled"),
    FailureKind("filtered", "recipient_policy", 550, "5.7.1", True, "dsn", "mx.{domain}",
                "550 5.7.1 Delivery not authorized, message refused by the recipient's rules"),
)  # fmt: skip
RANDOM_KINDS = (
    FailureKind("blocked", "reputation", 554, "5.7.1", False, "smtp", "mx.{domain}",
                "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using "
                "zen.spamhaus.org"),
    FailureKind("spamdetected", "content", 550, "5.7.1", False, "smtp", "mx.{domain}",
                "550 5.7.1 Message rejected as spam by Content Filtering"),
    FailureKind("expired", "transient", 421, "4.4.2", False, "expired", "mx.{domain}",
                "421 4.4.2 Connection timed out"),
    FailureKind("securityerror", "setup", 550, "5.7.26", False, "smtp", "mx.{domain}",
                "550 5.7.26 Unauthenticated email from helpdesk.test is not accepted due to "
                "domain's DMARC policy"),
)  # fmt: skip
KINDS = BAD_ADDRESS_KINDS + RANDOM_KINDS


def pg() -> bool:
    return connection.vendor == "postgresql"


def series(count: int) -> str:
    if pg():
        return f"SELECT g AS n FROM generate_series(1::bigint, {int(count)}) AS g"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
        f"WHERE n < {int(count)}) SELECT n FROM s"
    )


def ago(now: str, seconds: str) -> str:
    """SQL for the timestamp `seconds` (an SQL expression) before `now`."""
    if pg():
        return f"(TIMESTAMPTZ '{now}' - ({seconds}) * INTERVAL '1 second')"
    return f"strftime('%Y-%m-%d %H:%M:%f', '{now}', '-' || ({seconds}) || ' seconds')"


def later(timestamp: str, seconds: int) -> str:
    if pg():
        return f"({timestamp} + INTERVAL '{int(seconds)} seconds')"
    return f"strftime('%Y-%m-%d %H:%M:%f', {timestamp}, '+{int(seconds)} seconds')"


def json_object(*pairs: str) -> str:
    return f"{'jsonb_build_object' if pg() else 'json_object'}({', '.join(pairs)})"


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def case(kind_index: str, value) -> str:
    """CASE over the failure kinds: `value(kind)` is an SQL expression."""
    branches = " ".join(f"WHEN {i} THEN {value(k)}" for i, k in enumerate(KINDS))
    return f"CASE {kind_index} {branches} END"


def filled(template: str) -> str:
    """SQL that fills {email} and {domain} of a failure text from the delivery row."""
    parts = template.replace("{email}", "\x00e\x00").replace("{domain}", "\x00d\x00").split("\x00")
    sql = []
    for part in parts:
        if part == "e":
            sql.append("r.email")
        elif part == "d":
            sql.append(
                "split_part(r.email, '@', 2)"
                if pg()
                else "substr(r.email, instr(r.email, '@') + 1)"
            )
        elif part:
            sql.append(quote(part))
    return " || ".join(sql) if sql else "''"


def generate(scale: float) -> dict[str, int]:
    from buzon.rules.standard import FAILURE_TAG
    from buzon.smtpcodes import zendesk_status
    from buzon.tickets.models import Role, User
    from buzon.tickets.services import system_user

    tickets = max(100, round(100_000 * scale))
    customers = max(200, tickets // 5)
    comments = tickets * COMMENTS_PER_TICKET
    step = max(1, YEAR // tickets)  # seconds between two tickets' creation
    now = timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f")
    if pg():
        now += "+00:00"
    started = time.monotonic()
    with transaction.atomic():
        agent = User.objects.create_user(
            "bench-agent@helpdesk.test", "Bench Agent", role=Role.AGENT
        )
        system = system_user()
        first = _customers(customers)
        with connection.cursor() as c:
            if pg():
                # Bulk loading: no per-row foreign-key checks (the ids are consistent by
                # construction) and no count triggers (the counts are rebuilt below).
                c.execute("SET LOCAL session_replication_role = replica")
            run = _runner(c, started)
            ticket_ago = f"((({tickets} - t) + 1) * {step} + 36000)"
            run(
                "tickets",
                f"""INSERT INTO tickets_ticket (id, subject, description, status, priority, type,
                    requester_id, submitter_id, assignee_id, via, encoded_id, created_at,
                    updated_at)
                SELECT t, 'Generated ticket ' || t, 'x',
                    CASE t % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'pending'
                        WHEN 3 THEN 'hold' WHEN 4 THEN 'solved' ELSE 'closed' END, '', '',
                    {first} + ((t * 7919) % {customers}), {agent.pk},
                    CASE WHEN t % 3 = 0 THEN {agent.pk} END, 'web', 'B' || t,
                    {ago(now, ticket_ago)}, {ago(now, ticket_ago + " - 32400")}
                FROM (SELECT n AS t FROM ({series(tickets)}) AS s) AS s""",
            )
            for k in (1, 2, 3):
                run(
                    f"CCs {k}",
                    f"""INSERT INTO tickets_ticket_email_ccs (ticket_id, user_id)
                    SELECT id, {first} + ((id * 104729 + {k * 7907}) % {customers})
                    FROM tickets_ticket WHERE id % 4 >= {k}""",
                )
            run(
                "comments",
                f"""INSERT INTO tickets_comment (id, ticket_id, author_id, body, html_body, public,
                    via, attachments, metadata, created_at)
                SELECT n, t, {agent.pk}, 'Generated comment ' || n,
                    '<p>Generated comment ' || n || '</p>', n % 4 <> 0, 'web', '[]', '{{}}',
                    {ago(now, f"{ticket_ago} - ((n - 1) / {tickets}) * 3600")}
                FROM (SELECT n, ((n - 1) % {tickets}) + 1 AS t FROM ({series(comments)}) AS s)
                    AS s""",
            )
            _notifications(run, comments)
            _deliveries(run, comments, zendesk_status)
            _failures(run, comments, system.pk, FAILURE_TAG)
            _reset_sequences()
            _recount(run)
    if pg():
        with connection.cursor() as c:
            c.execute("ANALYZE")
    return _counts()


def _runner(c, started: float):
    def run(what: str, sql: str) -> None:
        t = time.monotonic()
        c.execute(sql)
        print(f"  {what}: {c.rowcount} rows, {time.monotonic() - t:.1f}s "
              f"(total {time.monotonic() - started:.0f}s)", flush=True)  # fmt: skip

    return run


def _customers(count: int) -> int:
    """Customers spread over public mail providers and company domains, each with an
    email identity; returns the first one's id (they are consecutive)."""
    from buzon.tickets.models import User, UserIdentity

    def domain(i: int) -> str:
        bucket = i % 100
        for limit, name in PUBLIC_DOMAINS:
            if bucket < limit:
                return name
        return f"company{i % COMPANY_DOMAINS}.example"

    users = User.objects.bulk_create(
        User(email=f"customer{i}@{domain(i)}", name=f"Customer {i}", password="!")
        for i in range(count)
    )
    UserIdentity.objects.bulk_create(
        UserIdentity(user=u, value=u.email, primary=True, verified=True) for u in users
    )
    ids = [u.pk for u in users]
    assert ids == list(range(ids[0], ids[0] + count)), "customer ids are not consecutive"
    return ids[0]


def _notifications(run, comments: int) -> None:
    """An audit per comment (its Comment event), and for a public one its Notification
    event, notification, email and recipients (requester, then the CCs)."""
    run(
        "audits",
        """INSERT INTO tickets_audit (id, via, metadata, created_at, author_id, ticket_id)
        SELECT id, 'web', '{}', created_at, author_id, ticket_id FROM tickets_comment""",
    )
    run(
        "comment events",
        """INSERT INTO tickets_auditevent (id, type, field_name, data, audit_id, comment_id)
        SELECT 2 * id - 1, 'Comment', '', '{}', id, id FROM tickets_comment""",
    )
    run(
        "notification events",
        """INSERT INTO tickets_auditevent (id, type, field_name, data, audit_id)
        SELECT 2 * id, 'Notification', '', '{}', id FROM tickets_comment WHERE public""",
    )
    run(
        "notifications",
        """INSERT INTO tickets_notification (id, trigger_title, subject, body, created_at,
            author_id, comment_id, event_id, ticket_id)
        SELECT id, 'Notify requester and CCs of comment update', 'Re: Generated ticket',
            'x', created_at, author_id, id, 2 * id, ticket_id
        FROM tickets_comment WHERE public""",
    )
    run(
        "email notifications",
        f"""INSERT INTO deliveries_emailnotification (id, message_id, subject, in_reply_to,
            "references", raw_message, build_error, created_at, updated_at, comment_id,
            notification_id, ticket_id)
        SELECT id, 'bench.' || id || '@helpdesk.test', 'Re: Generated ticket', '', '', '',
            '', created_at, {later("created_at", 1)}, id, id, ticket_id
        FROM tickets_comment WHERE public""",
    )
    run(
        "requester recipients",
        """INSERT INTO tickets_notificationrecipient (id, name, email, kind, notification_id,
            user_id)
        SELECT c.id * 4, u.name, u.email, 'to', c.id, u.id
        FROM tickets_comment c JOIN tickets_ticket t ON t.id = c.ticket_id
        JOIN tickets_user u ON u.id = t.requester_id WHERE c.public""",
    )
    run(
        "CC recipients",
        """INSERT INTO tickets_notificationrecipient (id, name, email, kind, notification_id,
            user_id)
        SELECT c.id * 4 + r.k, u.name, u.email, 'cc', c.id, u.id
        FROM tickets_comment c
        JOIN (SELECT ticket_id, user_id, row_number() OVER (PARTITION BY ticket_id ORDER BY id)
              AS k FROM tickets_ticket_email_ccs) r ON r.ticket_id = c.ticket_id
        JOIN tickets_user u ON u.id = r.user_id WHERE c.public""",
    )


def _deliveries(run, comments: int, zendesk_status) -> None:
    """A delivery per recipient: handed off, or failed with a kind chosen by a hash."""
    statuses = {k: zendesk_status(k.reply_code, k.enhanced, k.diagnostic) for k in KINDS}
    bad = len(BAD_ADDRESS_KINDS)
    kind = (
        f"CASE WHEN (r.user_id * 7919) % 1000 < {BAD_ADDRESS_PER_MILLE} THEN r.user_id % {bad} "
        f"WHEN (r.id * 2654435761) % 1000 < {RANDOM_FAILURE_PER_MILLE} "
        f"THEN {bad} + (r.id / 7) % {len(RANDOM_KINDS)} ELSE -1 END"
    )
    failed = "r.fk >= 0"
    when = "c.created_at"
    run(
        "deliveries",
        f"""INSERT INTO deliveries_delivery (id, email, name, kind, state, attempts,
            claimed_by, created_at, expires_at, first_attempt_at, last_attempt_at,
            handed_off_at, failed_at, return_token, provider_message_id, failure_source,
            reply_code, enhanced_status, diagnostic, remote_mta, reason, hard,
            zendesk_status_id, zendesk_status_name, zendesk_status_code, last_error,
            updated_at, recipient_id, ticket_id, user_id, email_notification_id, blame)
        SELECT r.id, r.email, r.name, r.kind,
            CASE WHEN {failed} THEN 'failed' ELSE 'handed_off' END, 1, '', {when},
            {later(when, 5 * 86400)}, {later(when, 1)}, {later(when, 1)},
            CASE WHEN {failed} THEN NULL ELSE {later(when, 2)} END,
            CASE WHEN {failed} THEN {later(when, 60)} END,
            'bench' || r.id, '',
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(k.source))} ELSE '' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: str(k.reply_code))} END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(k.enhanced))} ELSE '' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: filled(k.diagnostic))} ELSE '' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: filled(k.remote_mta))} ELSE '' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(k.reason))} ELSE '' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: "TRUE" if k.hard else "FALSE")}
                ELSE FALSE END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: str(statuses[k].id))} ELSE 2 END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(statuses[k].name))}
                ELSE 'DELIVERED' END,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(statuses[k].code))}
                ELSE '250' END,
            '', {later(when, 60)}, r.id, c.ticket_id, r.user_id, r.notification_id,
            CASE WHEN {failed} THEN {case("r.fk", lambda k: quote(k.blame))} ELSE '' END
        FROM (SELECT r.*, {kind} AS fk FROM tickets_notificationrecipient r) r
        JOIN tickets_comment c ON c.id = r.notification_id""",
    )
    # After a hard failure that is the address's fault, later copies are not sent.
    run(
        "suppressed failures",
        """UPDATE deliveries_delivery SET failure_source = 'suppressed', remote_mta = '',
            attempts = 0, first_attempt_at = NULL, last_attempt_at = NULL
        WHERE state = 'failed' AND hard AND blame IN ('address', 'mailbox', 'recipient_policy')
        AND id NOT IN (SELECT min(id) FROM deliveries_delivery WHERE state = 'failed' AND hard
                       GROUP BY email)""",
    )
    run(
        "suppressions",
        f"""INSERT INTO deliveries_suppression (address, reason, reply_code, enhanced_status,
            diagnostic, source, created_at, expires_at, delivery_id)
        SELECT lower(email), reason, reply_code, enhanced_status, diagnostic, failure_source,
            failed_at, {later("failed_at", int(settings.SUPPRESSION_DAYS * 86400))}, id
        FROM deliveries_delivery
        WHERE id IN (SELECT min(id) FROM deliveries_delivery WHERE state = 'failed' AND hard
                     AND blame IN ('address', 'mailbox', 'recipient_policy') GROUP BY email)""",
    )
    run(
        "undeliverable identities",
        """UPDATE tickets_useridentity SET deliverable_state = 'undeliverable',
            undeliverable_count = 1
        WHERE lower(value) IN (SELECT address FROM deliveries_suppression)""",
    )


def _failures(run, comments: int, system_id: int, tag: str) -> None:
    """Per failed delivery: its DeliveryEvent, failure audit and event; the tag."""
    run(
        "failure delivery events",
        """INSERT INTO deliveries_deliveryevent (id, at, kind, source, reply_code,
            enhanced_status, text, delivery_id)
        SELECT id, failed_at, CASE failure_source WHEN 'suppressed' THEN 'suppressed'
            WHEN 'expired' THEN 'expired' ELSE 'failed' END, failure_source, reply_code,
            enhanced_status, diagnostic, id
        FROM deliveries_delivery WHERE state = 'failed'""",
    )
    run(
        "failure audits",
        f"""INSERT INTO tickets_audit (id, via, metadata, created_at, author_id, ticket_id)
        SELECT {comments} + id, 'system', {json_object("'delivery_failure_depth'", "1")},
            failed_at, {system_id}, ticket_id
        FROM deliveries_delivery WHERE state = 'failed'""",
    )
    data = json_object(
        "'recipient'",
        json_object("'email'", "email", "'user_id'", "user_id", "'name'", "name", "'kind'", "kind"),
        "'delivery_id'", "id", "'email_notification_id'", "email_notification_id",
        "'notification_id'", "email_notification_id", "'comment_id'", "email_notification_id",
        "'message_id'", "'bench.' || email_notification_id || '@helpdesk.test'",
        "'trigger'", json_object("'id'", "NULL", "'title'",
                                 "'Notify requester and CCs of comment update'"),
        "'source'", "failure_source", "'reply_code'", "reply_code",
        "'enhanced_status'", "enhanced_status", "'diagnostic'", "diagnostic",
        "'remote_mta'", "remote_mta", "'reason'", "reason", "'hard'", "hard",
        "'blame'", "blame",
        "'delivery_status'", json_object("'id'", "zendesk_status_id", "'name'",
                                         "zendesk_status_name", "'code'", "zendesk_status_code"),
    )  # fmt: skip
    run(
        "failure events",
        f"""INSERT INTO tickets_auditevent (id, type, field_name, data, audit_id)
        SELECT {2 * comments} + id, 'DeliveryFailure', '', {data}, {comments} + id
        FROM deliveries_delivery WHERE state = 'failed'""",
    )
    run(
        "failure tags",
        f"""INSERT INTO tickets_tickettag (ticket_id, name)
        SELECT DISTINCT ticket_id, {quote(tag)} FROM deliveries_delivery WHERE state = 'failed'""",
    )


def _recount(run) -> None:
    """The delivery counts from scratch, as the migration that added them does."""
    from buzon.deliveries import counts

    run("counts reset", "DELETE FROM deliveries_deliverycountdelta")
    run("counts reset", "DELETE FROM deliveries_deliverycount")
    for sql in counts.backfill_sql(connection.vendor):
        run("count deltas", sql)
    counts.fold()


def _reset_sequences() -> None:
    from django.apps import apps

    models = [m for m in apps.get_models() if m._meta.app_label in {"tickets", "deliveries"}]
    with connection.cursor() as c:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            c.execute(sql)


def _counts() -> dict[str, int]:
    tables = {
        "tickets": "tickets_ticket",
        "comments": "tickets_comment",
        "notifications": "tickets_notification",
        "deliveries": "deliveries_delivery",
        "failed": "deliveries_delivery WHERE state = 'failed'",
        "suppressions": "deliveries_suppression",
        "tagged tickets": "tickets_tickettag",
    }
    with connection.cursor() as c:
        counts = {}
        for name, table in tables.items():
            c.execute(f"SELECT count(*) FROM {table}")
            counts[name] = c.fetchone()[0]
    return counts
