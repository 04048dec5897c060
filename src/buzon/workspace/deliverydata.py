"""Every query the workspace makes about outbound deliveries, in one place.

The delivery records belong to `buzon.deliveries`; which suppressions are in force
comes from `buzon.deliveries.suppression`. Each function makes a fixed number of
queries whatever the number of comments or recipients.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.db import connection
from django.db.models import (
    Field,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Lower
from django.utils import timezone

from buzon.deliveries import causes, counts, reports, suppression
from buzon.deliveries.models import Delivery, DeliveryState, Suppression, UnverifiedReport
from buzon.smtpcodes.parsing import STATUS_CODE
from buzon.tickets.models import (
    DeliverableState,
    Notification,
    NotificationRecipient,
    Ticket,
    User,
    UserIdentity,
)
from buzon.workspace.delivery_summary import RecipientStatus, UnverifiedReportView
from buzon_bounces.blame import OURS

ACTIVE_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED)
UNVERIFIED_SHOWN = 5  # per delivery, newest first (at most reports.MAX_UNVERIFIED exist)


def _report_view(r: UnverifiedReport) -> UnverifiedReportView:
    return UnverifiedReportView(
        id=r.pk,
        reporter=r.reporter,
        received_at=r.received_at,
        matched_by=r.matched_by,
        action=r.action,
        reply_code=str(r.reply_code or ""),
        enhanced_status=r.enhanced_status,
        diagnostic=r.diagnostic,
        reason=r.reason,
        blame=r.blame,
        accepted_at=r.accepted_at,
        accepted_by=r.accepted_by.name if r.accepted_by_id and r.accepted_by else "",
        outcome=r.outcome,
    )


def _unverified_by_delivery(delivery_ids: list[int]) -> dict[int, tuple[UnverifiedReportView, ...]]:
    """One query: the unverified reports of these deliveries, newest first."""
    if not delivery_ids:
        return {}
    found: dict[int, list[UnverifiedReportView]] = defaultdict(list)
    rows = (
        UnverifiedReport.objects.filter(delivery_id__in=delivery_ids)
        .select_related("accepted_by")
        .order_by("-received_at", "-id")
    )
    for report in rows[: len(delivery_ids) * reports.MAX_UNVERIFIED]:
        if len(found[report.delivery_id]) < UNVERIFIED_SHOWN:
            found[report.delivery_id].append(_report_view(report))
    return {pk: tuple(items) for pk, items in found.items()}


def _suppressed_since(deliveries: Iterable[Delivery | _DeliveryRow]) -> dict[str, datetime]:
    """When the suppression that stopped these deliveries began, by address: one query,
    and none unless one of them was not sent because of a suppression."""
    stopped = [d for d in deliveries if d.failure_source == "suppressed"]
    if not stopped:
        return {}
    rows = Suppression.objects.filter(address__in={d.email.lower() for d in stopped})
    return {s.address: s.created_at for s in rows.only("address", "created_at")}


# The reply code, then the enhanced status as smtpcodes reads it (its one pattern).
_LEADING_CODES = re.compile(rf"^([45]\d\d)(?:[ -]({STATUS_CODE}))?\b", re.ASCII)


def _codes_while_deferred(d: Delivery | _DeliveryRow) -> tuple[str, str]:
    """A deferred copy keeps its codes only in its last error ("452 4.2.2 ..."): those
    of the last answer, or none after a network error."""
    if d.reply_code or d.state != "deferred":
        return str(d.reply_code or ""), d.enhanced_status or ""
    match = _LEADING_CODES.match(d.last_error or "")
    return (match.group(1), match.group(2) or "") if match else ("", "")


def _status_from_delivery(
    d: Delivery | _DeliveryRow,
    name: str = "",
    kind: str = "",
    unverified: tuple[UnverifiedReportView, ...] = (),
    suppressed_since: dict[str, datetime] | None = None,
) -> RecipientStatus:
    reply_code, enhanced_status = _codes_while_deferred(d)
    since = (suppressed_since or {}).get(d.email.lower())
    stored = causes.as_stored(
        d.cause,
        d.cause_detail,
        d.diagnostic or "",
        d.last_error or "",
        d.remote_mta or "",
        has_codes=bool(reply_code or enhanced_status),
    )
    if since is not None and d.failed_at is not None and since > d.failed_at:
        since = None  # refreshed by a later failure: not the one that stopped this copy
    return RecipientStatus(
        email=d.email,
        name=d.name or name,
        kind=d.kind or kind or "to",
        state=d.state,
        user_id=d.user_id,
        delivery_id=d.pk,
        attempts=d.attempts or 0,
        reply_code=reply_code,
        enhanced_status=enhanced_status,
        reason=d.reason or "",
        diagnostic=stored.diagnostic,
        remote_mta=stored.remote_mta,
        failure_source=d.failure_source or "",
        hard=bool(d.hard),
        blame=d.blame or "",
        last_error=d.last_error or "",
        failed_at=d.failed_at,
        handed_off_at=d.handed_off_at,
        next_attempt_at=d.next_attempt_at,
        expires_at=d.expires_at,
        suppressed_since=since,
        cause=stored.cause,
        cause_detail=stored.detail,
        unverified=unverified,
    )


# Why an attempt has no server's answer, or what our relay refused (deliveries.causes).
NO_ANSWER_CAUSES = causes.NO_ANSWER
RELAY_ANSWERED_CAUSES = causes.RELAY_ANSWERED


def stored_cause(
    cause: str, detail: str, diagnostic: str, last_error: str, remote_mta: str, *, has_codes: bool
) -> causes.Stored:
    """A copy's cause fields; an old copy's read back out of our old English text."""
    return causes.as_stored(cause, detail, diagnostic, last_error, remote_mta, has_codes=has_codes)


# A Delivery, or a delivery read as values.
AnyDelivery = TypeVar("AnyDelivery", bound="Delivery | _DeliveryRow")


def with_statuses(
    deliveries: Sequence[AnyDelivery], suppressions: dict[str, Suppression] | None = None
) -> list[tuple[AnyDelivery, RecipientStatus]]:
    """Each Delivery row with its recipient status, as the glossary words it (the
    profile's failures): one more query at most, for when the suppressions began,
    none when the suppressions of their addresses are given."""
    if suppressions is None:
        since = _suppressed_since(deliveries)
    else:
        stopped = {d.email.lower() for d in deliveries if d.failure_source == "suppressed"}
        since = {a: s.created_at for a, s in suppressions.items() if a in stopped}
    return [(d, _status_from_delivery(d, suppressed_since=since)) for d in deliveries]


# The Delivery fields a RecipientStatus is made of.
_DELIVERY_FIELDS = (
    "id", "email", "name", "kind", "state", "user_id", "attempts", "reply_code",
    "enhanced_status", "reason", "diagnostic", "remote_mta", "failure_source", "hard",
    "blame", "last_error", "failed_at", "handed_off_at", "next_attempt_at", "expires_at",
    "cause", "cause_detail",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _DeliveryRow:
    """A delivery as `values()` reads it: building model instances for every
    recipient cost a large share of the ticket page's queries' time."""

    id: int
    email: str
    name: str
    kind: str
    state: str
    user_id: int | None
    attempts: int | None
    reply_code: int | None
    enhanced_status: str
    reason: str
    diagnostic: str
    remote_mta: str
    failure_source: str
    hard: bool | None
    blame: str
    last_error: str
    failed_at: datetime | None
    handed_off_at: datetime | None
    next_attempt_at: datetime | None
    expires_at: datetime | None
    cause: str
    cause_detail: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class _RecipientRow:
    group_key: int
    email: str
    name: str
    kind: str
    user_id: int | None
    reported: bool
    delivery: _DeliveryRow | None


def _column(model: Any, name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return str(field.column)


def _recipient_sql(key: str) -> str:
    """Recipients with their delivery (a LEFT JOIN: a recipient may have none yet) and
    whether any unverified report names it, grouped by `key` ("notification_id" or
    "notification__comment_id"), for a list of keys given as `{keys}`. Plain SQL:
    building this 28-column query with the ORM cost the ticket page more than running it."""
    recipient, notification = NotificationRecipient._meta, Notification._meta
    delivery, report = Delivery._meta, UnverifiedReport._meta
    columns = ", ".join(f"d.{_column(Delivery, f)}" for f in _DELIVERY_FIELDS)
    if key == "notification_id":
        group, joined = "r.notification_id", ""
    else:
        group = "n.comment_id"
        joined = f" INNER JOIN {notification.db_table} n ON n.id = r.notification_id"
    return (
        f"SELECT {group}, r.email, r.name, r.kind, r.user_id, "
        f"EXISTS(SELECT 1 FROM {report.db_table} u WHERE u.delivery_id = d.id), {columns} "
        f"FROM {recipient.db_table} r{joined} "
        f"LEFT OUTER JOIN {delivery.db_table} d ON d.recipient_id = r.id "
        f"WHERE {group} IN ({{keys}}) ORDER BY {group}, r.id"
    )


# Where the timestamps and the one boolean are among _DELIVERY_FIELDS (SQLite gives
# timestamps as naive values and booleans as integers).
_TIME_FIELDS = {"failed_at", "handed_off_at", "next_attempt_at", "expires_at"}
_DELIVERY_TIMES = tuple(i for i, f in enumerate(_DELIVERY_FIELDS) if f in _TIME_FIELDS)
_DELIVERY_HARD = _DELIVERY_FIELDS.index("hard")


def _delivery_row(values: list[Any]) -> _DeliveryRow:
    for i in _DELIVERY_TIMES:
        if values[i] is not None:
            values[i] = _aware(values[i])
    if values[_DELIVERY_HARD] is not None:
        values[_DELIVERY_HARD] = bool(values[_DELIVERY_HARD])
    return _DeliveryRow(*values)


def _recipient_rows(key: str, ids: list[int]) -> list[_RecipientRow]:
    """The recipients whose `key` is one of `ids`, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_recipient_sql(key).format(keys=", ".join(["%s"] * len(ids))), ids)
        rows = cursor.fetchall()
    return [
        _RecipientRow(
            group_key=group_key,
            email=email,
            name=name,
            kind=kind,
            user_id=user_id,
            reported=bool(reported),
            delivery=_delivery_row(delivery) if delivery[0] is not None else None,
        )
        for group_key, email, name, kind, user_id, reported, *delivery in rows
    ]


def _grouped(rows: list[_RecipientRow]) -> dict[int, list[RecipientStatus]]:
    """RecipientStatus per group key; the unverified reports, when some recipient has
    any, in one more query."""
    unverified = _unverified_by_delivery(
        [row.delivery.id for row in rows if row.reported and row.delivery is not None]
    )
    since = _suppressed_since(row.delivery for row in rows if row.delivery is not None)
    result: dict[int, list[RecipientStatus]] = defaultdict(list)
    for row in rows:
        d = row.delivery
        if d is not None:
            status = _status_from_delivery(d, row.name, row.kind, unverified.get(d.id, ()), since)
        else:
            status = RecipientStatus(
                email=row.email, name=row.name, kind=row.kind, user_id=row.user_id
            )
        result[row.group_key].append(status)
    return dict(result)


def recipients_by_notification(notification_ids: Iterable[int]) -> dict[int, list[RecipientStatus]]:
    """Recipients (with delivery state when known) of these notifications: one query,
    two when an unverified report names one of them."""
    ids = list(notification_ids)
    if not ids:
        return {}
    return _grouped(_recipient_rows("notification_id", ids))


def recipients_by_comment(comment_ids: Iterable[int]) -> dict[int, list[RecipientStatus]]:
    """All recipients of the notifications sent for each comment: one query, two when
    an unverified report names one of them."""
    ids = list(comment_ids)
    if not ids:
        return {}
    return _grouped(_recipient_rows("notification__comment_id", ids))


def accept_unverified_report(ticket_id: int, report_id: int, by: User) -> str | None:
    """An agent accepts an unverified report about one of this ticket's deliveries:
    it is recorded like an authentic one, audited in their name. None when there is
    no such report on this ticket."""
    report = UnverifiedReport.objects.filter(pk=report_id, delivery__ticket_id=ticket_id).first()
    if report is None:
        return None
    return reports.accept(report, by=by)


def lift_suppression(address: str, by: User) -> bool:
    """An agent lets Buzón mail an address again: the suppression in force (if any)
    is lifted in their name and the address's identities become deliverable. True
    when a suppression was in force."""
    return suppression.lift_suppression(address, by)


def undeliverable_reasons(addresses: Iterable[str]) -> dict[str, str]:
    """For each address we should not send to now: why ("undeliverable" or "suppressed")."""
    addresses = [a for a in addresses if a]
    if not addresses:
        return {}
    reasons: dict[str, str] = {}
    lowered = [a.lower() for a in addresses]
    # Through the index on LOWER(value) (`value IN` would read the whole table); plain
    # SQL, as building it with the ORM cost the ticket page more than running it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {UserIdentity._meta.db_table} WHERE deliverable_state = %s "
            f"AND LOWER(value) IN ({', '.join(['%s'] * len(lowered))})",
            [DeliverableState.UNDELIVERABLE.value, *lowered],
        )
        for (value,) in cursor.fetchall():
            reasons[value.lower()] = "undeliverable"
    for address in suppression.active_suppressions(addresses):
        reasons[address] = "suppressed"
    return reasons


@dataclass(frozen=True, slots=True)
class _FailedDeliveryRow(_DeliveryRow):
    """A failed delivery as the profile lists it: its ticket too."""

    ticket_id: int | None


def failures_for_addresses(
    addresses: Iterable[str], suppressions: dict[str, Suppression] | None = None, limit: int = 50
) -> list[tuple[_FailedDeliveryRow, RecipientStatus]]:
    """Failed deliveries to these addresses, newest first, with their statuses (for the
    profile page), read as values from the index of failed deliveries by address: one
    query, and one more unless `suppressions` (`suppressions_of` these addresses) is
    given."""
    rows = (
        Delivery.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=[a.lower() for a in addresses], state="failed")
        .order_by("-failed_at", "-id")
        .values_list(*_DELIVERY_FIELDS, "ticket_id")[:limit]
    )
    return with_statuses([_FailedDeliveryRow(*row) for row in rows], suppressions)


def suppressions_of(addresses: Iterable[str]) -> dict[str, Suppression]:
    """{lower-cased address: its suppression}, in force or not (`Suppression.active`
    says which), for these addresses: one query."""
    wanted = {a.lower() for a in addresses}
    return {s.address: s for s in Suppression.objects.filter(address__in=wanted)} if wanted else {}


def identities_with_last_failure(user: User) -> list[UserIdentity]:
    """The user's identities, each with `last_failure` (the latest failed delivery to
    its address, in any case, or None): one query, an index probe per identity."""
    last = (
        Delivery.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=Lower(OuterRef("value")), state="failed", failed_at__isnull=False)
        .order_by("-failed_at")
        .values("failed_at")[:1]
    )
    return list(user.identities.annotate(last_failure=Subquery(last)))


# --- Delivery health ---------------------------------------------------------


def failures_by_day_and_reason(first_day: date, days: int) -> list[dict[str, Any]]:
    """Failures per local day (in the current time zone) and reason, for `days` days
    from `first_day`, summed by the database from the hourly counts of the window (the
    page does not grow with history). An hour belongs to the day it starts in."""
    counts.fold()
    tz = timezone.get_current_timezone()
    day_list = [first_day + timedelta(days=i) for i in range(days + 1)]
    starts = [
        -(-int(datetime.combine(day, time.min, tzinfo=tz).timestamp()) // counts.HOUR)
        for day in day_list
    ]
    return [
        {"day": day_list[period], "reason": reason, "n": n}
        for reason, period, n in sorted(counts.period_counts("reason", starts), key=_by_period)
    ]


def _by_period(row: tuple[str, int, int]) -> tuple[int, str]:
    return row[1], row[0]


def top_failing_domains(since: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """The domains with the most failures in the UTC days since `since`, each with its
    distinct failing addresses and its latest failure, from the daily counts summed
    per domain and per address by the database (one query)."""
    first_day = counts.bucket_of(since, counts.DAY)
    return [
        {"domain": domain, "n": n, "addresses": addresses, "last": last}
        for domain, n, last, addresses in counts.top_domains(first_day, limit)
    ]


def failures_of_ours(since: datetime, groups: int = 200) -> list[dict[str, Any]]:
    """Failures blamed on our sending setup or reputation since `since`, grouped by
    blame, reason, codes, remote server and recipient domain (at most `groups` groups,
    the largest first), each with one example diagnostic. One query, on the
    (blame, failed_at) index."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    at = "strpos(email, '@')" if connection.vendor == "postgresql" else "instr(email, '@')"
    blames = sorted(OURS)
    with connection.cursor() as c:
        c.execute(
            f"""SELECT g.*, (SELECT d.diagnostic FROM {table} AS d WHERE d.id = g.example)
            FROM (
                SELECT blame, reason, reply_code, enhanced_status, remote_mta,
                    lower(substr(email, {at} + 1)) AS domain,
                    count(id) AS n, max(failed_at) AS last, max(id) AS example
                FROM {table}
                WHERE blame IN ({", ".join(["%s"] * len(blames))})
                    AND failed_at >= %s AND state = 'failed'
                GROUP BY blame, reason, reply_code, enhanced_status, remote_mta,
                    lower(substr(email, {at} + 1))
                ORDER BY n DESC, domain LIMIT %s
            ) AS g""",
            [*blames, connection.ops.adapt_datetimefield_value(since), groups],
        )
        columns = [column[0] for column in c.description]
        rows = [dict(zip(columns, row, strict=True)) for row in c.fetchall()]
    for row in rows:
        row["last"] = counts.moment(row["last"])
        row["diagnostic"] = row.pop(columns[-1]) or ""
    return rows


def deferred_queue(limit: int = 50) -> list[Delivery]:
    """The next deferred deliveries to be retried (how many there are in all is in
    `queue_counts`)."""
    return list(Delivery.objects.filter(state="deferred").order_by("next_attempt_at", "id")[:limit])


def queue_counts() -> dict[str, int]:
    """Deliveries per state, in the states' order: the active ones counted on the claim
    index (only the queue), the final ones from the maintained counts; one query."""
    found = counts.states(ACTIVE_STATES)
    return {state: found[state] for state in DeliveryState.values if found.get(state)}


def unmatched_bounce_model() -> Any | None:
    """The model holding bounces we could not match to a delivery, once one exists."""
    for model in apps.get_models():
        if model.__name__.lower() in {"unmatchedbounce", "unmatchedbounces"}:
            return model
    return None


def live_rows(ticket_id: int) -> list[tuple[int, datetime]]:
    """(id, updated_at) of the ticket's deliveries, and of the ticket itself as id 0
    (its tags, e.g. the failure tag, change with its `updated_at`): an open ticket
    page's live check (`workspace.live`), in one query of two index lookups. Plain SQL:
    building this union with the ORM cost several times what running it does."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, updated_at FROM {Delivery._meta.db_table} WHERE ticket_id = %s "
            f"UNION ALL SELECT 0, updated_at FROM {Ticket._meta.db_table} WHERE id = %s",
            [ticket_id, ticket_id],
        )
        return [(pk, _aware(at)) for pk, at in cursor.fetchall()]


def _aware(at: datetime | str) -> datetime:
    """A timestamp as the ORM reads it (SQLite gives a naive value, or text, in UTC)."""
    value = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
