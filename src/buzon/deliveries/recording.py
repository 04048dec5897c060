"""Recording what happened to a delivery: the one code path every source uses.

The worker (SMTP answers), the inbound bounce processor (DSNs) and ESP webhooks all
call these functions; nothing else changes a delivery's outcome.

- `record_failure(delivery, Failure)`: the delivery fails, with its codes and reason,
  the Zendesk status, a `DeliveryEvent`, one ticket audit (the failure tag, added
  once, and a `DeliveryFailure` event naming recipient, codes, notification and
  trigger) and the address's deliverability, which follows the failure's blame
  (`buzon_bounces.blame`): only the address's own permanent fault (`address`)
  suppresses it; only temporary faults of the mailbox (`mailbox`) count towards
  SOFT_FAILURE_LIMIT in a row; our setup, our reputation, the content, the
  recipient's policy, transient trouble and unknown causes suppress nobody.
  Idempotent.
- `record_handoffs`: the next hop accepted it (Zendesk's DELIVERED).
- `record_deferral`: a temporary error; retried with back-off until the lifetime ends.
- `record_delay`: a later hop reports a delay (DSN "delayed"): visible, not a failure.
- `record_delivered`: a positive DSN or ESP webhook confirmed delivery.
- `record_complaint`: the recipient reported the email as spam (ARF, ESP webhook):
  nothing fails; the address is suppressed and the ticket's events log says so.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from buzon.deliveries.models import (
    Delivery,
    DeliveryEvent,
    DeliveryState,
    EventKind,
    FailureSource,
    Suppression,
)
from buzon.deliveries.suppression import suppress
from buzon.rules.active import version_sql
from buzon.rules.standard import FAILURE_TAG
from buzon.smtpcodes import ZendeskStatus, zendesk_status
from buzon.smtpcodes.zendesk import zendesk_status_of
from buzon.tickets.models import (
    DeliverableState,
    EventType,
    Notification,
    TicketTag,
    User,
    UserIdentity,
    update_columns,
)
from buzon.tickets.services import EventInput, system_user, system_user_pk_sql, update_ticket
from buzon_bounces import classify
from buzon_bounces.blame import ADDRESS, MAILBOX, TRANSIENT, UNKNOWN, blame_for

DELIVERED = zendesk_status_of(5)

log = logging.getLogger("buzon.deliveries")

# A failure recorded on a ticket is a system update, and triggers run on it; a trigger
# may email someone about it, and that email may fail too. Notifications fired by
# updates this deep in such a chain are not sent (see `failure_depth`): no mail loops.
MAX_FAILURE_DEPTH = 2

DIAGNOSTIC_LIMIT = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, limit: int = DIAGNOSTIC_LIMIT) -> str:
    """Outside text made safe to store: str, no NUL or control characters, bounded."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Failure:
    """Why one recipient did not get an email, whoever reported it."""

    source: str  # a FailureSource value
    reply_code: int | None
    enhanced_status: str
    diagnostic: str
    remote_mta: str
    reason: str  # a reason class from the bounce-reasons vocabulary
    hard: bool
    dedupe_key: str | None = None
    occurred_at: datetime | None = None
    blame: str = ""  # who must act (buzon_bounces.blame); "" → derived from the reason
    suppressed_since: datetime | None = None  # source "suppressed": since when
    cause: str = ""  # deliveries.causes: why no server's words, or what the relay refused
    cause_detail: str = ""  # the technical detail of the cause

    @property
    def who(self) -> str:
        """The blame, derived from the reason and codes when the source gave none."""
        if self.blame:
            return self.blame
        code = str(self.reply_code or "")
        return blame_for(self.reason or "undefined", self.enhanced_status or "", code) or UNKNOWN


@dataclass(frozen=True)
class Reply:
    """A server's answer to one attempt (or the network error instead of one)."""

    code: int | None
    enhanced_status: str = ""
    text: str = ""
    remote_mta: str = ""
    at: datetime | None = None
    provider_message_id: str = ""
    source: str = FailureSource.SMTP
    cause: str = ""  # deliveries.causes: why there is no answer, or what the relay refused
    detail: str = ""  # the technical detail of the cause (the error as raised)

    def __str__(self) -> str:
        return " ".join(str(p) for p in (self.code, self.enhanced_status, self.text) if p)

    @property
    def error_text(self) -> str:
        """The answer with its codes, or the technical detail when nothing answered."""
        return str(self) or self.detail


@dataclass(frozen=True)
class Delay:
    """A later hop's report that delivery is delayed (DSN Action: delayed)."""

    enhanced_status: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    reply_code: int | None = None
    source: str = FailureSource.DSN
    dedupe_key: str | None = None
    occurred_at: datetime | None = None


# ---------------------------------------------------------------------------- failures


def record_failure(
    delivery: Delivery, failure: Failure, *, audit: bool = True, by: User | None = None
) -> bool:
    """Fail a delivery and tell the ticket; False (nothing changed) when it had already
    failed or this `dedupe_key` was recorded before.

    One transaction: the delivery's status fields, a DeliveryEvent, the ticket audit
    (tag + DeliveryFailure event) and the address's deliverability (by blame, see
    `_count_undeliverable`). `audit=False` is for the outbox's loop cut only (no ticket
    update, so no triggers). `by`: the agent who accepted an unverified report; the
    audit is theirs (via web) and its event names them.
    """
    at = failure.occurred_at or timezone.now()
    batch = _batch.get()
    # In a batch, the caller's savepoint for the message is this one's (see
    # `locked_for_failures`): no nested savepoint, two round trips fewer.
    with transaction.atomic(savepoint=batch is None):
        d = (batch.take(delivery.pk) if batch is not None and audit else None) or (
            _locked_for_failure(delivery.pk, at, audit=audit)
        )
        if d.state == DeliveryState.FAILED:
            return False
        if failure.dedupe_key and _recorded_before(d, failure.dedupe_key):
            return False
        status = _status_for(failure)
        d.state = DeliveryState.FAILED
        d.failed_at = at
        d.failure_source = failure.source
        d.reply_code = failure.reply_code
        d.enhanced_status = clean_text(failure.enhanced_status, 16)
        d.diagnostic = clean_text(failure.diagnostic)
        d.remote_mta = clean_text(failure.remote_mta, 255)
        d.reason = failure.reason
        d.hard = failure.hard
        d.blame = failure.who
        d.cause = failure.cause
        d.cause_detail = clean_text(failure.cause_detail)
        d.zendesk_status_id, d.zendesk_status_name, d.zendesk_status_code = (
            status.id,
            status.name,
            status.code,
        )
        d.next_attempt_at = None
        d.lease_expires_at = None
        d.claimed_by = ""
        d.updated_at = at
        if failure.source == FailureSource.SMTP:
            d.attempts += 1
            d.first_attempt_at = d.first_attempt_at or at
            d.last_attempt_at = at
        update_columns(d, FAILED_FIELDS)
        event = DeliveryEvent(
            delivery=d,
            at=at,
            kind=_event_kind(failure.source),
            source=failure.source,
            reply_code=failure.reply_code,
            enhanced_status=d.enhanced_status,
            text=d.diagnostic,
            dedupe_key=failure.dedupe_key,
        )
        if batch is not None:
            batch.insert_later(event)
        else:
            event.save()
        if failure.source != FailureSource.SUPPRESSED:  # nothing was tried
            if batch is not None:
                batch.count_later(d, failure, at)
            else:
                _count_undeliverable(d, failure, at)
        tagged = audit and _audit_failure(d, failure, status, at, by, savepoint=batch is None)
        if tagged and batch is not None:
            batch.tagged(d.ticket_id)
    log.info(
        "delivery %s to %r failed (%s): %s %s %s",
        d.pk,
        d.email,
        failure.source,
        failure.reply_code or "",
        d.enhanced_status,
        d.reason,
    )
    return True


FAILED_FIELDS = [
    "state", "failed_at", "failure_source", "reply_code", "enhanced_status", "diagnostic",
    "remote_mta", "reason", "hard", "blame", "cause", "cause_detail", "zendesk_status_id",
    "zendesk_status_name", "zendesk_status_code", "next_attempt_at", "lease_expires_at",
    "claimed_by", "updated_at", "attempts", "first_attempt_at", "last_attempt_at",
]  # fmt: skip


# Large columns of the joined rows that recording a failure never reads.
UNREAD_HERE = (
    "email_notification__raw_message",
    "email_notification__notification__body",
    "email_notification__notification__event__data",
)


def _locked_for_failure(pk: int, at: datetime, *, audit: bool) -> Delivery:
    """The delivery, locked with its ticket (PostgreSQL), in one statement that also
    reads what recording its failure needs: its email, notification and the audit that
    sent it (the failure depth), whether the ticket has the failure tag, whether the
    address is suppressed now, the system user's id and the triggers' version."""
    return _for_failure(at, audit=audit).get(pk=pk)


def _for_failure(at: datetime, *, audit: bool) -> models.QuerySet[Delivery]:
    rows = (
        Delivery.objects.select_related("email_notification__notification__event__audit")
        .defer(*UNREAD_HERE)
        .annotate(
            suppressed_now=Exists(
                Suppression.objects.filter(
                    address=Lower(OuterRef("email")), lifted_at__isnull=True, expires_at__gt=at
                )
            )
        )
    )
    if audit:
        rows = rows.select_related("ticket").annotate(
            has_failure_tag=Exists(
                TicketTag.objects.filter(ticket_id=OuterRef("ticket_id"), name=FAILURE_TAG)
            ),
            system_user_pk=system_user_pk_sql(),
            trigger_version=version_sql(),
        )
    return rows.select_for_update(of=("self", "ticket") if audit else ("self",))


class LockedForFailures:
    """Deliveries a batch of reports may fail, read and locked together (see
    `locked_for_failures`); each is handed to `record_failure` once. The failures'
    events and their writes to their addresses (identity counts, suppressions) wait
    here until `settle`."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        self._waiting = {d.pk: d for d in deliveries}
        self._against: list[tuple[Delivery, Failure, datetime]] = []
        self._events: list[DeliveryEvent] = []

    def take(self, pk: int) -> Delivery | None:
        return self._waiting.pop(pk, None)

    def tagged(self, ticket_id: int) -> None:
        """The ticket now has the failure tag: the batch's other copies on it see so
        (and do not read its tags again to add it)."""
        for d in self._waiting.values():
            if d.ticket_id == ticket_id:
                d.has_failure_tag = True  # type: ignore[attr-defined]

    def count_later(self, d: Delivery, failure: Failure, at: datetime) -> None:
        self._against.append((d, failure, at))

    def insert_later(self, event: DeliveryEvent) -> None:
        self._events.append(event)

    def mark(self) -> tuple[int, int]:
        """Where the waiting writes stand (before a message is routed)."""
        return len(self._against), len(self._events)

    def undo_since(self, mark: tuple[int, int]) -> None:
        """Forget the writes since `mark` (that message was rolled back)."""
        del self._against[mark[0] :]
        del self._events[mark[1] :]

    def settle(self) -> None:
        """Write the waiting writes now: the failures' events in one INSERT, then what
        they do to their addresses (`_settle_addresses`)."""
        events, self._events = self._events, []
        if events:
            DeliveryEvent.objects.bulk_create(events)
        against, self._against = self._against, []
        _settle_addresses(against)

    def discard(self) -> None:
        """Forget the rows (a message's changes were rolled back, and with them what
        these rows say): recording reads each row again, as alone."""
        self._waiting.clear()


_batch: ContextVar[LockedForFailures | None] = ContextVar("locked_for_failures", default=None)


@contextmanager
def locked_for_failures(pks: Iterable[int]) -> Iterator[LockedForFailures]:
    """Within the current transaction, read and lock the deliveries `pks` with their
    tickets in one statement (what `record_failure` reads of each, as
    `_locked_for_failure`), tickets in id order; their events' dedupe keys in another.
    Workers whose batches share tickets wait for each other instead of deadlocking.
    The failures' events (one INSERT) and what they write to their addresses
    (identity counts, suppressions) are written at the end of the block, all at once,
    the identities locked in id order (`_settle_addresses`): a batch holds its
    addresses' locks only from then to its commit, so workers whose batches share
    addresses (a person on many tickets) take turns only that long. A caller that
    routes anything but a report in the block settles first
    (`LockedForFailures.settle`), and so do complaints, delays and confirmed
    deliveries, which read events and counts. `record_failure`
    for one of them in the block uses the row read here, once. Copies of one ticket
    share one ticket object, so each failure sees the ticket as the previous one left
    it. Every report routed in the block runs inside a savepoint of the caller's that
    is rolled back whole when it raises (the processor's, per message): recording a
    failure takes no savepoint of its own there."""
    if not connection.in_atomic_block:
        raise RuntimeError("locked_for_failures holds its locks in the caller's transaction")
    deliveries = list(
        _for_failure(timezone.now(), audit=True).filter(pk__in=set(pks)).order_by("ticket_id", "id")
    )
    tickets: dict[int, Any] = {}
    keys: dict[int, set[str]] = {d.pk: set() for d in deliveries}
    for pk, key in DeliveryEvent.objects.filter(
        delivery_id__in=list(keys), dedupe_key__isnull=False
    ).values_list("delivery_id", "dedupe_key"):
        keys[pk].add(key)
    for d in deliveries:
        d.ticket = tickets.setdefault(d.ticket_id, d.ticket)
        d.dedupe_keys = keys[d.pk]  # type: ignore[attr-defined]
    batch = LockedForFailures(deliveries)
    token = _batch.set(batch)
    try:
        yield batch
        batch.settle()
    finally:
        _batch.reset(token)
        batch.discard()


def _recorded_before(d: Delivery, dedupe_key: str) -> bool:
    """Has an event with this dedupe key been recorded on the delivery? Read with the
    batch (`locked_for_failures`) when the row came from one."""
    seen: set[str] | None = getattr(d, "dedupe_keys", None)
    if seen is not None:
        return dedupe_key in seen
    return d.events.filter(dedupe_key=dedupe_key).exists()


def _status_for(failure: Failure) -> ZendeskStatus:
    if failure.source == FailureSource.INVALID and not (
        failure.reply_code or failure.enhanced_status
    ):
        return zendesk_status_of(1)  # UNRECOGNIZED_INTERNAL_ERROR: our own fault
    return zendesk_status(failure.reply_code, failure.enhanced_status)


def _event_kind(source: str) -> str:
    kinds: dict[str, str] = {
        FailureSource.SUPPRESSED: EventKind.SUPPRESSED,
        FailureSource.EXPIRED: EventKind.EXPIRED,
    }
    return kinds.get(source, EventKind.FAILED)


def _count_undeliverable(d: Delivery, failure: Failure, at: datetime) -> None:
    """The address's deliverability, by blame: the address's own permanent fault makes
    it undeliverable (and suppressed) at once; a temporary fault of the mailbox counts,
    and SOFT_FAILURE_LIMIT of them in a row do the same. Any other blame — our setup,
    our reputation, the content, the recipient's policy, transient trouble, unknown —
    says nothing against the address: no count, no suppression."""
    blame = failure.who
    if blame not in (ADDRESS, MAILBOX):
        return
    counts = _count_against_identity(d.email, at, suppress_now=blame == ADDRESS)
    should_suppress = blame == ADDRESS or any(n >= settings.SOFT_FAILURE_LIMIT for n in counts)
    if should_suppress:
        _suppress_for(d, failure, at)


def _suppress_for(d: Delivery, failure: Failure, at: datetime) -> None:
    """Suppress the delivery's address after this failure, unless it already was
    when the delivery was read."""
    if getattr(d, "suppressed_now", False):
        return
    suppress(
        d.email,
        reason=failure.reason,
        source=failure.source,
        reply_code=failure.reply_code,
        enhanced_status=d.enhanced_status,
        diagnostic=d.diagnostic,
        delivery=d,
        now=at,
    )


def _count_against_identity(email: str, at: datetime, *, suppress_now: bool) -> list[int]:
    """One more failure against the address's identity (at most one: identities are
    unique in any case), made undeliverable when the address is to be suppressed — its
    own fault, or SOFT_FAILURE_LIMIT in a row. One statement; the new counts."""
    table = connection.ops.quote_name(UserIdentity._meta.db_table)
    sql = (
        f"UPDATE {table} SET undeliverable_count = undeliverable_count + 1, "
        "deliverable_state = CASE WHEN deliverable_state = %s "
        "AND (%s OR undeliverable_count + 1 >= %s) THEN %s ELSE deliverable_state END, "
        "updated_at = %s WHERE LOWER(value) = %s RETURNING undeliverable_count"
    )
    params: list[Any] = [
        DeliverableState.DELIVERABLE,
        suppress_now,
        settings.SOFT_FAILURE_LIMIT,
        DeliverableState.UNDELIVERABLE,
        timezone.now(),
        email,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _settle_addresses(against: list[tuple[Delivery, Failure, datetime]]) -> None:
    """A batch's failures against their addresses, written as `_count_undeliverable`
    would have written them one by one in this order: the identities locked in id
    order and counted in one UPDATE, then one statement per address newly suppressed,
    in address order. An address's count grows by its failures that count; it becomes
    undeliverable, and suppressed, at the first failure that is its own fault or that
    brings its count to SOFT_FAILURE_LIMIT, unless it was suppressed when that
    failure's delivery was read."""
    by_email: dict[str, list[tuple[Delivery, Failure, datetime]]] = {}
    for d, failure, at in against:
        if failure.who in (ADDRESS, MAILBOX):
            by_email.setdefault(d.email, []).append((d, failure, at))
    if not by_email:
        return
    counts = _count_many_against_identities(
        {e: (len(fs), any(f.who == ADDRESS for _, f, _ in fs)) for e, fs in by_email.items()}
    )
    for email in sorted(by_email):
        failures = by_email[email]
        before = counts[email] - len(failures) if email in counts else None
        for n, (d, failure, at) in enumerate(failures, start=1):
            reached = before is not None and before + n >= settings.SOFT_FAILURE_LIMIT
            if failure.who == ADDRESS or reached:
                _suppress_for(d, failure, at)
                break


def _count_many_against_identities(failures: dict[str, tuple[int, bool]]) -> dict[str, int]:
    """{email: (failures, any of them the address's own fault)} counted against the
    identities, as `_count_against_identity` for each; {lower-cased value: new count}."""
    emails = sorted(failures)
    if connection.features.has_select_for_update:
        list(
            UserIdentity.objects.alias(lowered=Lower("value"))
            .filter(lowered__in=emails)
            .order_by("id")
            .select_for_update()
            .values_list("id", flat=True)
        )
    table = connection.ops.quote_name(UserIdentity._meta.db_table)
    per_email = "CASE LOWER(value) " + " ".join(["WHEN %s THEN %s"] * len(emails)) + " END"
    sql = (
        f"UPDATE {table} SET undeliverable_count = undeliverable_count + {per_email}, "
        f"deliverable_state = CASE WHEN deliverable_state = %s AND ({per_email} = 1 "
        f"OR undeliverable_count + {per_email} >= %s) THEN %s ELSE deliverable_state END, "
        f"updated_at = %s WHERE LOWER(value) IN ({', '.join(['%s'] * len(emails))}) "
        "RETURNING LOWER(value), undeliverable_count"
    )
    added = [p for e in emails for p in (e, failures[e][0])]
    own_fault = [p for e in emails for p in (e, int(failures[e][1]))]
    params: list[Any] = [
        *added,
        DeliverableState.DELIVERABLE,
        *own_fault,
        *added,
        settings.SOFT_FAILURE_LIMIT,
        DeliverableState.UNDELIVERABLE,
        timezone.now(),
        *emails,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def failure_depth(notification: Notification) -> int:
    """How many delivery failures led to this notification (0: a person's update)."""
    metadata = notification.event.audit.metadata or {}
    depth = metadata.get("delivery_failure_depth", 0)
    return depth if isinstance(depth, int) else 0


def _audit_failure(
    d: Delivery,
    failure: Failure,
    status: ZendeskStatus,
    at: datetime,
    by: User | None = None,
    savepoint: bool = True,
) -> bool:
    """Audit the failure on the ticket; whether this audit (its triggers included) left
    the failure tag added. `savepoint`: as `update_ticket`'s."""
    email = d.email_notification
    notification = email.notification
    data = {
        "recipient": {"email": d.email, "user_id": d.user_id, "name": d.name, "kind": d.kind},
        "delivery_id": d.pk,
        "email_notification_id": email.pk,
        "notification_id": notification.pk,
        "comment_id": email.comment_id,
        "message_id": email.message_id,
        "trigger": {"id": notification.trigger_id, "title": notification.trigger_title},
        "source": failure.source,
        "reply_code": failure.reply_code,
        "enhanced_status": d.enhanced_status,
        "diagnostic": d.diagnostic,
        "remote_mta": d.remote_mta,
        "reason": failure.reason,
        "hard": failure.hard,
        "blame": d.blame,
        "cause": d.cause,
        "cause_detail": d.cause_detail,
        "delivery_status": {
            "id": status.id,
            "name": status.name,
            "code": status.code,
            "message": {
                "en": status.message("en"),
                "es": status.message("es"),
            },
        },
        "occurred_at": at.isoformat(),
    }
    if failure.suppressed_since is not None:
        data["suppressed_since"] = failure.suppressed_since.isoformat()
    if by is not None:
        data["accepted_by"] = {"id": by.pk, "name": by.name, "email": by.email}
    changes: dict[str, tuple[Any, Any]] = {}
    update_ticket(
        d.ticket,
        actor=by or system_user(getattr(d, "system_user_pk", None)),
        via="web" if by is not None else "system",
        fields={} if getattr(d, "has_failure_tag", False) else {"additional_tags": [FAILURE_TAG]},
        metadata={"delivery_failure_depth": failure_depth(notification) + 1},
        events=[EventInput(EventType.DELIVERY_FAILURE, data)],
        ticket_locked=True,
        trigger_version=getattr(d, "trigger_version", None),
        changes_out=changes,
        savepoint=savepoint,
    )
    return FAILURE_TAG in (changes.get("tags") or (None, []))[1]


# ---------------------------------------------------------------------------- success


class HandedOff(Protocol):
    """What recording a hand-off reads of a delivery: a Delivery or a claimed row."""

    @property
    def pk(self) -> Any: ...
    @property
    def email(self) -> str: ...


def record_handoffs(
    items: Sequence[tuple[HandedOff, Reply]], *, claimed_by: str | None = None
) -> int:
    """Record many hand-offs in one transaction; returns how many applied.

    With `claimed_by` (the worker), only deliveries still claimed by that worker are
    touched: one whose lease was lost belongs to whoever holds it now. A successful
    hand-off resets the address's undeliverable count.

    On PostgreSQL, one statement whatever the number (`_handoffs_in_one_statement`):
    the UPDATE of the deliveries, the INSERT of their `handed_off` events and the
    UPDATE of the identities that need resetting, as data-modifying CTEs fed by one
    JSON parameter. On SQLite, three statements in one transaction: the UPDATE, one
    multi-row INSERT of the events (written as SQL: building a model per event cost
    more than the SMTP conversation), the identities' UPDATE (plus one per reply
    carrying a provider's message id, which only ESPs give, and a SELECT when some
    were no longer ours).

    On PostgreSQL the commit does not wait for the WAL flush (`synchronous_commit`
    off for this transaction only): a database crash in the next fraction of a second
    could forget these hand-offs, and their deliveries would be sent again after
    their lease, which is the same at-least-once promise a worker crash gives. It
    keeps a fast relay from waiting on a disk flush for every group of messages.
    """
    if not items:
        return 0
    now = timezone.now()
    by_pk = {d.pk: (d, reply) for d, reply in items}
    if connection.vendor == "postgresql":
        return _handoffs_in_one_statement(
            [(pk, reply) for pk, (_, reply) in by_pk.items()], now, claimed_by
        )
    with transaction.atomic():
        relax_durability()
        applied = _mark_handed_off(list(by_pk), now, claimed_by)
        if not applied:
            return 0
        owned = list(by_pk)
        if applied < len(by_pk):  # some were not ours: find the ones this update made
            owned = list(
                Delivery.objects.filter(
                    pk__in=owned, state=DeliveryState.HANDED_OFF, handed_off_at=now, updated_at=now
                ).values_list("pk", flat=True)
            )
        for pk in owned:
            reply = by_pk[pk][1]
            if reply.provider_message_id:
                Delivery.objects.filter(pk=pk).update(
                    provider_message_id=reply.provider_message_id[:255]
                )
        _insert_handoff_events([(pk, by_pk[pk][1]) for pk in owned], now)
        _reset_after_success([by_pk[pk][0].email for pk in owned], now)
    return len(owned)


# Relaxes the commit of the one statement that names it in its FROM (autocommit: the
# statement is its own transaction); `SET LOCAL` would need a transaction of its own,
# three round trips more. `set_config` must be in the FROM: an unreferenced CTE is
# never run.
RELAXED_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS relaxed_commit"


def _handoffs_in_one_statement(
    replies: list[tuple[Any, Reply]], now: datetime, claimed_by: str | None
) -> int:
    """PostgreSQL: the hand-offs' three writes as one statement, one round trip
    (not six: BEGIN, SET LOCAL, three statements, COMMIT). The replies travel as one
    JSON parameter: a hundred rows as placeholders (seven each) cost the worker more
    client-side CPU than sending the messages. The events and the identities' reset
    follow from the deliveries the UPDATE changed (RETURNING), so a delivery no
    longer ours gets neither; how many it changed."""
    handed = json.dumps(
        [
            {
                "id": pk,
                "at": (reply.at or now).isoformat(),
                "source": str(reply.source),
                "code": reply.code,
                "status": clean_text(reply.enhanced_status, 16),
                "text": clean_text(reply.text),
                "provider_message_id": reply.provider_message_id[:255],
            }
            for pk, reply in replies
        ]
    )
    if claimed_by is not None:
        mine, params = (
            "d.state = %s AND d.claimed_by = %s",
            [DeliveryState.SENDING.value, claimed_by],
        )
    else:
        states = [DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED]
        mine, params = "d.state IN (%s, %s, %s)", [str(state) for state in states]
    quote = connection.ops.quote_name
    deliveries = quote(Delivery._meta.db_table)
    events = quote(DeliveryEvent._meta.db_table)
    identities = quote(UserIdentity._meta.db_table)
    columns = ", ".join(_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH handed AS (
                SELECT * FROM json_to_recordset(%s) AS h(id bigint, at timestamptz,
                    source text, code int, status text, text text, provider_message_id text)
            ), done AS (
                UPDATE {deliveries} AS d SET state = %s, handed_off_at = %s,
                    attempts = d.attempts + 1,
                    first_attempt_at = COALESCE(d.first_attempt_at, %s), last_attempt_at = %s,
                    next_attempt_at = NULL, lease_expires_at = NULL, claimed_by = '',
                    last_error = '', cause = '', cause_detail = '',
                    provider_message_id = COALESCE(NULLIF(h.provider_message_id, ''),
                        d.provider_message_id),
                    zendesk_status_id = %s, zendesk_status_name = %s,
                    zendesk_status_code = %s, updated_at = %s
                FROM handed AS h, {RELAXED_COMMIT}
                WHERE d.id = ANY(%s::bigint[]) AND d.id = h.id AND {mine}
                RETURNING d.id, d.email
            ), events AS (
                INSERT INTO {events} ({columns})
                SELECT h.id, h.at, %s, h.source, h.code, h.status, h.text
                FROM handed AS h JOIN done ON done.id = h.id
            ), identities AS (
                UPDATE {identities} SET deliverable_state = %s, undeliverable_count = 0,
                    updated_at = %s
                WHERE LOWER(value) IN (SELECT LOWER(email) FROM done)
                    AND (undeliverable_count > 0 OR deliverable_state = %s)
            )
            SELECT count(*) FROM done""",
            [
                handed,
                DeliveryState.HANDED_OFF.value,
                now,
                now,
                now,
                DELIVERED.id,
                DELIVERED.name,
                DELIVERED.code,
                now,
                "{" + ",".join(str(int(pk)) for pk, _ in replies) + "}",
                *params,
                EventKind.HANDED_OFF.value,
                DeliverableState.DELIVERABLE.value,
                now,
                DeliverableState.UNDELIVERABLE.value,
            ],
        )
        (changed,) = cursor.fetchone()
    return int(changed)


def _mark_handed_off(pks: list[Any], now: datetime, claimed_by: str | None) -> int:
    """The hand-offs' UPDATE, written as SQL: compiling it through the ORM cost the
    worker more than executing it. Only rows still claimed by `claimed_by` (or, with
    None, in a state a hand-off may follow) change; how many did."""
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    if claimed_by is not None:
        mine, params = "state = %s AND claimed_by = %s", [DeliveryState.SENDING.value, claimed_by]
    else:
        states = [DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED]
        mine, params = "state IN (%s, %s, %s)", [str(state) for state in states]
    at = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, handed_off_at = %s, attempts = attempts + 1, "
            "first_attempt_at = COALESCE(first_attempt_at, %s), last_attempt_at = %s, "
            "next_attempt_at = NULL, lease_expires_at = NULL, claimed_by = '', "
            "last_error = '', cause = '', cause_detail = '', "
            "zendesk_status_id = %s, zendesk_status_name = %s, "
            f"zendesk_status_code = %s, updated_at = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(pks))}) AND {mine}",
            [
                DeliveryState.HANDED_OFF.value,
                at,
                at,
                at,
                DELIVERED.id,
                DELIVERED.name,
                DELIVERED.code,
                at,
                *pks,
                *params,
            ],
        )
        return cursor.rowcount


_EVENTS_PER_INSERT = 1000
_EVENT_COLUMNS = ("delivery_id", "at", "kind", "source", "reply_code", "enhanced_status", "text")


def _insert_handoff_events(replies: list[tuple[int, Reply]], now: datetime) -> None:
    """One `handed_off` DeliveryEvent per delivery, in one INSERT (no dedupe key)."""
    table = connection.ops.quote_name(DeliveryEvent._meta.db_table)
    row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for pk, reply in replies:
        params += [
            pk,
            adapt(reply.at or now),
            EventKind.HANDED_OFF.value,
            str(reply.source),
            reply.code,
            clean_text(reply.enhanced_status, 16),
            clean_text(reply.text),
        ]
    width = len(_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, len(replies), _EVENTS_PER_INSERT):  # within SQLite's 32,766
            rows = replies[start : start + _EVENTS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_EVENT_COLUMNS)}) VALUES "
                + ", ".join([row] * len(rows)),
                params[start * width : (start + len(rows)) * width],
            )


def relax_durability() -> None:
    """In the current transaction, on PostgreSQL, commit without waiting for the WAL
    flush (for bookkeeping whose loss only means a resend; see record_handoffs)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _reset_after_success(emails: list[str], now: datetime) -> None:
    """The identities of these addresses that had failures count as deliverable again.
    Written as SQL (the ORM's compilation cost more than the statement), by lower-cased
    address: one identity per address whatever its case, found through that index."""
    addresses = sorted({email.lower() for email in emails})
    if not addresses:
        return
    ops = connection.ops
    table = ops.quote_name(UserIdentity._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET deliverable_state = %s, undeliverable_count = 0, "
            f"updated_at = %s WHERE LOWER(value) IN ({', '.join(['%s'] * len(addresses))}) "
            "AND (undeliverable_count > 0 OR deliverable_state = %s)",
            [
                DeliverableState.DELIVERABLE.value,
                ops.adapt_datetimefield_value(now),
                *addresses,
                DeliverableState.UNDELIVERABLE.value,
            ],
        )


def record_delivered(
    delivery: Delivery,
    *,
    text: str = "",
    source: str = FailureSource.DSN,
    dedupe_key: str | None = None,
    occurred_at: datetime | None = None,
) -> bool:
    """A positive DSN (or ESP webhook) confirmed delivery to the mailbox."""
    at = occurred_at or timezone.now()
    batch = _batch.get()
    if batch is not None:  # the events and counts as the failures before left them
        batch.settle()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if d.state not in (DeliveryState.HANDED_OFF, DeliveryState.DEFERRED) or (
            d.state == DeliveryState.DEFERRED and d.handed_off_at is None
        ):
            return False
        if dedupe_key and d.events.filter(dedupe_key=dedupe_key).exists():
            return False
        Delivery.objects.filter(pk=d.pk).update(
            state=DeliveryState.DELIVERED,
            delivered_at=at,
            next_attempt_at=None,
            last_error="",
            updated_at=at,
        )
        DeliveryEvent.objects.create(
            delivery=d,
            at=at,
            kind=EventKind.DELIVERED,
            source=source,
            text=clean_text(text),
            dedupe_key=dedupe_key,
        )
        _reset_after_success([d.email], at)
    return True


def record_complaint(
    delivery: Delivery,
    *,
    feedback_type: str = "abuse",
    text: str = "",
    source: str = FailureSource.DSN,
    dedupe_key: str | None = None,
    occurred_at: datetime | None = None,
) -> bool:
    """The recipient complained about this email (an ARF report, an ESP's complaint
    event). The delivery keeps its state (the email did arrive); a `complaint` event is
    appended, the address is suppressed (reason `feedback`: no more notifications until
    an agent lifts it, as ESPs require) and its identity marked undeliverable, and one
    ticket audit carries a `DeliveryComplaint` event naming the notification and its
    trigger. No tag: nothing failed. False when this `dedupe_key` was seen before."""
    at = occurred_at or timezone.now()
    batch = _batch.get()
    if batch is not None:  # its rows would not see this ticket update
        batch.discard()
        batch.settle()  # the suppressions and identities as the failures before left them
    with transaction.atomic():
        d = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("email_notification")
            .get(pk=delivery.pk)
        )
        if dedupe_key and d.events.filter(dedupe_key=dedupe_key).exists():
            return False
        feedback = clean_text(feedback_type, 32) or "abuse"
        words = clean_text(text) or f"The recipient reported this email ({feedback})."
        DeliveryEvent.objects.create(
            delivery=d,
            at=at,
            kind=EventKind.COMPLAINT,
            source=source,
            text=words,
            dedupe_key=dedupe_key,
        )
        suppress(d.email, reason="feedback", source=source, diagnostic=words, delivery=d, now=at)
        UserIdentity.objects.filter(value__lower=d.email).update(
            deliverable_state=DeliverableState.UNDELIVERABLE, updated_at=at
        )
        email = d.email_notification
        notification = Notification.objects.select_related("event__audit").get(
            pk=email.notification_id
        )
        update_ticket(
            d.ticket,
            actor=system_user(),
            via="system",
            metadata={"delivery_failure_depth": failure_depth(notification) + 1},
            events=[
                EventInput(
                    EventType.DELIVERY_COMPLAINT,
                    {
                        "recipient": {
                            "email": d.email,
                            "user_id": d.user_id,
                            "name": d.name,
                            "kind": d.kind,
                        },
                        "delivery_id": d.pk,
                        "email_notification_id": email.pk,
                        "notification_id": notification.pk,
                        "comment_id": email.comment_id,
                        "message_id": email.message_id,
                        "trigger": {
                            "id": notification.trigger_id,
                            "title": notification.trigger_title,
                        },
                        "source": source,
                        "feedback_type": feedback,
                        "text": words,
                        "occurred_at": at.isoformat(),
                    },
                )
            ],
        )
    log.info("complaint (%s) about delivery %s to %r", feedback, d.pk, d.email)
    return True


# ---------------------------------------------------------------------------- retries


def backoff(retry: int) -> timedelta:
    """How long to wait before the `retry`-th retry (1-based): RETRY_BASE doubling up
    to RETRY_MAX, with ±10 % jitter so a relay outage does not end in a stampede."""
    seconds = min(settings.RETRY_BASE * 2 ** max(retry - 1, 0), settings.RETRY_MAX)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def record_deferral(delivery: Delivery, error: Reply, *, claimed_by: str | None = None) -> str:
    """A temporary failure (4xx, timeout, refused connection): retry later.

    Returns the delivery's new state: "deferred", or "failed" when the next retry
    would fall after its expiry (it then fails as expired, with this last error), or
    "" when it was not ours to change.
    """
    now = error.at or timezone.now()
    text = clean_text(error.error_text)
    cause, detail = error.cause, clean_text(error.detail)
    with transaction.atomic():
        qs = Delivery.objects.select_for_update(of=("self",))
        d = qs.filter(pk=delivery.pk).first()
        if d is None or d.state in (
            DeliveryState.FAILED,
            DeliveryState.HANDED_OFF,
            DeliveryState.DELIVERED,
        ):
            return ""
        if claimed_by is not None and (
            d.state != DeliveryState.SENDING or d.claimed_by != claimed_by
        ):
            return ""
        d.attempts += 1
        retry_at = now + backoff(d.attempts)
        if retry_at >= d.expires_at:
            Delivery.objects.filter(pk=d.pk).update(
                attempts=d.attempts,
                first_attempt_at=d.first_attempt_at or now,
                last_attempt_at=now,
                last_error=text,
                cause=cause,
                cause_detail=detail,
            )
            d.last_error = text
            _record_expiry(d, error, now)
            return DeliveryState.FAILED
        Delivery.objects.filter(pk=d.pk).update(
            state=DeliveryState.DEFERRED,
            attempts=d.attempts,
            first_attempt_at=d.first_attempt_at or now,
            last_attempt_at=now,
            next_attempt_at=retry_at,
            lease_expires_at=None,
            claimed_by="",
            last_error=text,
            cause=cause,
            cause_detail=detail,
            updated_at=now,
        )
        DeliveryEvent.objects.create(
            delivery=d,
            at=now,
            kind=EventKind.DEFERRED,
            source=error.source,
            reply_code=error.code,
            enhanced_status=clean_text(error.enhanced_status, 16),
            text=text,
        )
    return DeliveryState.DEFERRED


def record_expired(delivery: Delivery) -> bool:
    """Fail a delivery whose lifetime ran out, with the last temporary error it got."""
    last = (
        DeliveryEvent.objects.filter(delivery_id=delivery.pk, kind=EventKind.DEFERRED)
        .order_by("-at", "-id")
        .first()
    )
    # With no answer (a cause but no code), the last error's text is only its detail.
    answered = not delivery.cause or (last is not None and last.reply_code is not None)
    error = Reply(
        code=last.reply_code if last else None,
        enhanced_status=last.enhanced_status if last else "",
        text=((last.text if last else delivery.last_error) or "") if answered else "",
        remote_mta="",
        cause=delivery.cause,
        detail=delivery.cause_detail,
    )
    return _record_expiry(delivery, error, timezone.now())


def _record_expiry(d: Delivery, error: Reply, now: datetime) -> bool:
    return record_failure(
        d,
        Failure(
            source=FailureSource.EXPIRED,
            reply_code=error.code,
            enhanced_status=error.enhanced_status,
            # The last answer as the server gave it; the attempts and the period
            # are the delivery's own fields, worded by the workspace.
            diagnostic=clean_text(error.text),
            remote_mta=error.remote_mta,
            reason="expired",
            hard=False,
            dedupe_key="expired",
            occurred_at=now,
            blame=_blame_of_last_reply(error),
            cause=error.cause,
            cause_detail=error.detail,
        ),
    )


def _blame_of_last_reply(error: Reply) -> str:
    """Who must act when temporary failures ran out the lifetime: whoever the last
    answer blamed (a mailbox still full is the mailbox's; a reputation deferral is
    ours); a network error or no answer at all is transient."""
    if error.code is None and not error.enhanced_status:
        return TRANSIENT
    verdict = classify(error.enhanced_status or None, error.code, error.text, error.remote_mta)
    return verdict.blame or TRANSIENT


def record_delay(delivery: Delivery, report: Delay) -> bool:
    """A later hop says delivery is delayed: the delivery shows as deferred (it is not
    failed, and Buzón does not resend it; the reporting server keeps retrying)."""
    at = report.occurred_at or timezone.now()
    batch = _batch.get()
    if batch is not None:  # the events it reads as the failures before left them
        batch.settle()
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if d.state in (DeliveryState.FAILED, DeliveryState.DELIVERED):
            return False
        if report.dedupe_key and d.events.filter(dedupe_key=report.dedupe_key).exists():
            return False
        text = clean_text(report.diagnostic) or "delivery delayed"
        if d.state == DeliveryState.HANDED_OFF:
            Delivery.objects.filter(pk=d.pk).update(
                state=DeliveryState.DEFERRED, last_error=text, updated_at=at
            )
        DeliveryEvent.objects.create(
            delivery=d,
            at=at,
            kind=EventKind.DELAYED,
            source=report.source,
            reply_code=report.reply_code,
            enhanced_status=clean_text(report.enhanced_status, 16),
            text=text,
            dedupe_key=report.dedupe_key,
        )
    return True


def settle_stale_delays(now: datetime | None = None) -> int:
    """Deliveries a later hop reported delayed and never reported on again before
    they expired are taken as handed off (no failure arrived). Housekeeping."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            Delivery.objects.select_for_update()
            .filter(
                state=DeliveryState.DEFERRED,
                handed_off_at__isnull=False,
                next_attempt_at__isnull=True,
                expires_at__lte=now,
            )
            .values_list("pk", flat=True)
        )
        if not stale:
            return 0
        Delivery.objects.filter(pk__in=stale).update(state=DeliveryState.HANDED_OFF, updated_at=now)
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    delivery_id=pk,
                    at=now,
                    kind=EventKind.HANDED_OFF,
                    text="No failure was reported after the delay; taken as handed off.",
                )
                for pk in stale
            ]
        )
    return len(stale)
