"""Every query the workspace makes about outbound deliveries, in one place.

The delivery records belong to `buzon.deliveries`; which suppressions are in force
comes from `buzon.deliveries.suppression`. Each function makes a fixed number of
queries whatever the number of comments or recipients.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Max, Value
from django.db.models.functions import Lower, StrIndex, Substr, TruncDate
from django.utils import timezone

from buzon.deliveries import reports, suppression
from buzon.deliveries.models import Delivery, Suppression, UnverifiedReport
from buzon.tickets.models import (
    DeliverableState,
    Notification,
    NotificationRecipient,
    User,
    UserIdentity,
)
from buzon.workspace.delivery_summary import RecipientStatus, UnverifiedReportView
from buzon_bounces.blame import OURS

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


def _suppressed_since(deliveries: Iterable[Delivery]) -> dict[str, datetime]:
    """When the suppression that stopped these deliveries began, by address: one query,
    and none unless one of them was not sent because of a suppression."""
    stopped = [d for d in deliveries if d.failure_source == "suppressed"]
    if not stopped:
        return {}
    rows = Suppression.objects.filter(address__in={d.email.lower() for d in stopped})
    return {s.address: s.created_at for s in rows.only("address", "created_at")}


_LEADING_CODES = re.compile(r"^([45]\d\d)(?:[ -]([45]\.\d{1,3}\.\d{1,3}))?\b")


def _codes_while_deferred(d: Delivery) -> tuple[str, str]:
    """A deferred copy keeps its codes only in its last error ("452 4.2.2 ..."): those
    of the last answer, or none after a network error."""
    if d.reply_code or d.state != "deferred":
        return str(d.reply_code or ""), d.enhanced_status or ""
    match = _LEADING_CODES.match(d.last_error or "")
    return (match.group(1), match.group(2) or "") if match else ("", "")


def _status_from_delivery(
    d: Delivery,
    name: str = "",
    kind: str = "",
    unverified: tuple[UnverifiedReportView, ...] = (),
    suppressed_since: dict[str, datetime] | None = None,
) -> RecipientStatus:
    reply_code, enhanced_status = _codes_while_deferred(d)
    since = (suppressed_since or {}).get(d.email.lower())
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
        diagnostic=d.diagnostic or "",
        remote_mta=d.remote_mta or "",
        failure_source=d.failure_source or "",
        hard=bool(d.hard),
        blame=d.blame or "",
        last_error=d.last_error or "",
        failed_at=d.failed_at,
        handed_off_at=d.handed_off_at,
        next_attempt_at=d.next_attempt_at,
        expires_at=d.expires_at,
        suppressed_since=since,
        unverified=unverified,
    )


def status_of(d: Delivery) -> RecipientStatus:
    """One Delivery row as a recipient status (the profile's list of failures)."""
    return _status_from_delivery(d, suppressed_since=_suppressed_since([d]))


def recipients_by_notification(notification_ids: Iterable[int]) -> dict[int, list[RecipientStatus]]:
    """Recipients (with delivery state when known) of these notifications.

    Three queries: the notification recipients, their deliveries, and the unverified
    reports about those deliveries.
    """
    ids = list(notification_ids)
    if not ids:
        return {}
    rows = list(
        NotificationRecipient.objects.filter(notification_id__in=ids)
        .order_by("notification_id", "id")
        .values("notification_id", "user_id", "name", "email", "kind")
    )
    deliveries: dict[tuple[int, str], Delivery] = {}
    extra: dict[int, list[RecipientStatus]] = defaultdict(list)
    for d in Delivery.objects.filter(email_notification__notification_id__in=ids).annotate(
        notification_pk=F("email_notification__notification_id")
    ):
        deliveries[(d.notification_pk, d.email.lower())] = d
    unverified = _unverified_by_delivery([d.pk for d in deliveries.values()])
    since = _suppressed_since(deliveries.values())
    result: dict[int, list[RecipientStatus]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    for row in rows:
        key = (row["notification_id"], row["email"].lower())
        seen.add(key)
        d = deliveries.get(key)
        if d is not None:
            result[key[0]].append(
                _status_from_delivery(d, row["name"], row["kind"], unverified.get(d.pk, ()), since)
            )
        else:
            result[key[0]].append(
                RecipientStatus(
                    email=row["email"], name=row["name"], kind=row["kind"], user_id=row["user_id"]
                )
            )
    # A delivery with no recipient row (should not happen) is still shown.
    for key, d in deliveries.items():
        if key not in seen:
            extra[key[0]].append(
                _status_from_delivery(
                    d, unverified=unverified.get(d.pk, ()), suppressed_since=since
                )
            )
    for notification_id, items in extra.items():
        result[notification_id].extend(items)
    return dict(result)


def recipients_by_comment(comment_ids: Iterable[int]) -> dict[int, list[RecipientStatus]]:
    """All recipients of the notifications sent for each comment."""
    ids = list(comment_ids)
    if not ids:
        return {}
    comment_of = dict(
        Notification.objects.filter(comment_id__in=ids).values_list("id", "comment_id")
    )
    if not comment_of:
        return {}
    by_notification = recipients_by_notification(comment_of)
    result: dict[int, list[RecipientStatus]] = defaultdict(list)
    for notification_id, recipients in by_notification.items():
        result[comment_of[notification_id]].extend(recipients)
    return dict(result)


def accept_unverified_report(ticket_id: int, report_id: int, by: User) -> str | None:
    """An agent accepts an unverified report about one of this ticket's deliveries:
    it is recorded like an authentic one, audited in their name. None when there is
    no such report on this ticket."""
    report = UnverifiedReport.objects.filter(pk=report_id, delivery__ticket_id=ticket_id).first()
    if report is None:
        return None
    return reports.accept(report, by=by)


def undeliverable_reasons(addresses: Iterable[str]) -> dict[str, str]:
    """For each address we should not send to now: why ("undeliverable" or "suppressed")."""
    addresses = [a for a in addresses if a]
    if not addresses:
        return {}
    reasons: dict[str, str] = {}
    for value in UserIdentity.objects.filter(
        value__in=list(addresses), deliverable_state=DeliverableState.UNDELIVERABLE
    ).values_list("value", flat=True):
        reasons[value.lower()] = "undeliverable"
    for address in suppression.active_suppressions(addresses):
        reasons[address] = "suppressed"
    return reasons


def active_suppressions(addresses: Iterable[str]) -> dict[str, Suppression]:
    """{lower-cased address: the suppression in force} for these addresses."""
    return suppression.active_suppressions(list(addresses))


def failures_for_addresses(addresses: Iterable[str], limit: int = 50) -> list[Delivery]:
    """Failed deliveries to these addresses, newest first (for the profile page)."""
    return list(
        Delivery.objects.filter(email__in=list(addresses), state="failed")
        .select_related("ticket")
        .order_by("-failed_at", "-id")[:limit]
    )


def last_failure_by_address(addresses: Iterable[str]) -> dict[str, datetime]:
    rows = (
        Delivery.objects.filter(email__in=list(addresses), state="failed")
        .values("email")
        .annotate(last=Max("failed_at"))
    )
    return {r["email"].lower(): r["last"] for r in rows}


# --- Delivery health ---------------------------------------------------------


def failures_by_day_and_reason(since: datetime) -> list[dict[str, Any]]:
    return list(
        Delivery.objects.filter(state="failed", failed_at__gte=since)
        .annotate(day=TruncDate("failed_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "reason")
        .annotate(n=Count("id"))
        .order_by("day", "reason")
    )


def top_failing_domains(since: datetime, limit: int = 10) -> list[dict[str, Any]]:
    domain = Lower(Substr("email", StrIndex("email", Value("@")) + 1))
    return list(
        Delivery.objects.filter(state="failed", failed_at__gte=since)
        .annotate(domain=domain)
        .values("domain")
        .annotate(n=Count("id"), addresses=Count("email", distinct=True), last=Max("failed_at"))
        .order_by("-n", "domain")[:limit]
    )


def failures_of_ours(since: datetime, groups: int = 200) -> list[dict[str, Any]]:
    """Failures blamed on our sending setup or reputation since `since`, grouped by
    blame, reason, codes, remote server and recipient domain (at most `groups` groups,
    the largest first), each with one example diagnostic. Two queries; the first runs
    on the (blame, failed_at) index."""
    domain = Lower(Substr("email", StrIndex("email", Value("@")) + 1))
    rows = list(
        Delivery.objects.filter(blame__in=sorted(OURS), failed_at__gte=since, state="failed")
        .annotate(domain=domain)
        .values("blame", "reason", "reply_code", "enhanced_status", "remote_mta", "domain")
        .annotate(n=Count("id"), last=Max("failed_at"), example=Max("id"))
        .order_by("-n", "domain")[:groups]
    )
    examples = dict(
        Delivery.objects.filter(pk__in=[r["example"] for r in rows]).values_list("pk", "diagnostic")
    )
    for row in rows:
        row["diagnostic"] = examples.get(row["example"], "")
    return rows


def deferred_queue(limit: int = 50) -> tuple[int, list[Delivery]]:
    queue = Delivery.objects.filter(state="deferred")
    return queue.count(), list(
        queue.select_related("ticket").order_by("next_attempt_at", "id")[:limit]
    )


def queue_counts() -> dict[str, int]:
    rows = Delivery.objects.values("state").annotate(n=Count("id"))
    return {r["state"]: r["n"] for r in rows}


def unmatched_bounce_model() -> Any | None:
    """The model holding bounces we could not match to a delivery, once one exists."""
    for model in apps.get_models():
        if model.__name__.lower() in {"unmatchedbounce", "unmatchedbounces"}:
            return model
    return None
