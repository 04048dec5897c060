"""What a delivery report (a DSN, a vendor's non-delivery report, an ARF complaint)
says about one delivery, recorded — or, when the report is not authentic, kept aside.

- `apply(delivery, record, key)`: an authentic report (it came back to a signed return
  path, carries a signed envelope id, or came from a trusted reporter; the inbound
  side decides, see docs/inbound.md): the record becomes a failure, a delay, a
  confirmed delivery or a complaint through `deliveries.recording`.
- `keep_unverified(delivery, record, key, …)`: a report that names a real delivery
  but cannot be verified (a returned Message-ID alone, an unsigned envelope id).
  It is stored as an `UnverifiedReport` and shown on the delivery; it changes no
  status, identity, suppression or tag. At most MAX_UNVERIFIED per delivery are kept,
  so nobody can grow a ticket's history without bound.
- `accept(report, by=agent)`: an agent vouches for an unverified report; it is then
  recorded like any other, the audit in the agent's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from buzon.deliveries.models import Delivery, FailureSource, UnverifiedReport
from buzon.deliveries.recording import (
    Delay,
    Failure,
    clean_text,
    record_complaint,
    record_delay,
    record_delivered,
    record_failure,
)
from buzon.tickets.models import User
from buzon_bounces import BounceRecord
from buzon_bounces.blame import blame_for
from buzon_bounces.smtp import is_placeholder

MAX_UNVERIFIED = 20
_FIELDS = {f.name for f in dataclasses.fields(BounceRecord)}


def dedupe_key(key: str, delivery: Delivery, record: BounceRecord) -> str:
    return f"{key}:{(record.recipient or delivery.email).lower()}:{record.action}"[:255]


def status_of(record: BounceRecord) -> str:
    """The enhanced status, without the library's placeholders (5.0.9xx)."""
    status = record.status or ""
    return "" if is_placeholder(status) else status


def code_of(record: BounceRecord) -> int | None:
    code = (record.reply_code or "").strip()
    return int(code) if code.isdigit() and len(code) == 3 else None


def blame_of(record: BounceRecord) -> str:
    return record.blame or blame_for(record.reason or "undefined", record.status, record.reply_code)


def apply(
    delivery: Delivery,
    record: BounceRecord,
    key: str,
    source: str = "",
    by: User | None = None,
) -> str:
    """Record what one authentic report record says about one delivery; a short
    description of what was done."""
    source = source or FailureSource.DSN
    dedupe = dedupe_key(key, delivery, record)
    status = status_of(record)
    code = code_of(record)
    if record.reason == "feedback":
        done = record_complaint(
            delivery,
            feedback_type=record.feedback_type or "abuse",
            text=record.diagnostic,
            source=source,
            dedupe_key=dedupe,
        )
        return "complaint recorded" if done else "already recorded"
    if record.action == "delayed":
        done = record_delay(
            delivery,
            Delay(
                enhanced_status=status,
                diagnostic=record.diagnostic,
                remote_mta=record.remote_mta,
                reply_code=code,
                source=source,
                dedupe_key=dedupe,
            ),
        )
        return "delay recorded (still deferred)" if done else "already recorded"
    if record.action in ("delivered", "relayed", "expanded") or record.reason == "delivered":
        if record.action != "delivered" and record.reason != "delivered":
            return f"{record.action}: nothing to record"
        done = record_delivered(delivery, text=record.diagnostic, source=source, dedupe_key=dedupe)
        return "delivery confirmed" if done else "already recorded"
    done = record_failure(
        delivery,
        Failure(
            source=source,
            reply_code=code,
            enhanced_status=status,
            diagnostic=record.diagnostic,
            remote_mta=record.remote_mta or record.reporting_mta,
            reason=record.reason or "undefined",
            hard=record.hard,
            dedupe_key=dedupe,
            blame=blame_of(record),
        ),
        by=by,
    )
    return (
        f"failure recorded ({code or ''} {status} {record.reason})".replace("  ", " ")
        if done
        else "already recorded"
    )


def keep_unverified(
    delivery: Delivery,
    record: BounceRecord,
    key: str,
    *,
    matched_by: str,
    reporter: str = "",
    peer: str = "",
    inbound_message_id: int | None = None,
) -> str:
    """Keep a report that names this delivery but cannot be verified; changes nothing
    else. A short description of what was done."""
    dedupe = dedupe_key(key, delivery, record)
    if UnverifiedReport.objects.filter(delivery=delivery, dedupe_key=dedupe).exists():
        return "unverified report already kept"
    if UnverifiedReport.objects.filter(delivery=delivery).count() >= MAX_UNVERIFIED:
        return f"not kept: this delivery already has {MAX_UNVERIFIED} unverified reports"
    try:
        with transaction.atomic():
            UnverifiedReport.objects.create(
                delivery=delivery,
                inbound_message_id=inbound_message_id,
                reporter=clean_text(reporter, 320),
                peer=clean_text(peer, 255),
                matched_by=matched_by[:64],
                action=clean_text(record.action, 16),
                reply_code=code_of(record),
                enhanced_status=clean_text(status_of(record), 16),
                diagnostic=clean_text(record.diagnostic),
                reason=clean_text(record.reason, 32),
                blame=blame_of(record) if record.action not in ("delayed", "delivered") else "",
                record={k: clean_text(v) if isinstance(v, str) else v for k, v in _fields(record)},
                dedupe_key=dedupe,
            )
            # An open ticket page shows the report as it arrives (buzon.workspace.live).
            Delivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now())
    except IntegrityError:
        return "unverified report already kept"
    return "kept as an unverified report (nothing changed)"


def accept(report: UnverifiedReport, *, by: User) -> str:
    """An agent vouches for an unverified report: record it like an authentic one,
    audited in their name. Accepting twice changes nothing the second time."""
    with transaction.atomic():
        locked = UnverifiedReport.objects.select_for_update().get(pk=report.pk)
        if locked.accepted_at is not None:
            return locked.outcome or "already accepted"
        record = record_from(locked)
        outcome = apply(locked.delivery, record, f"accepted:{locked.pk}", FailureSource.DSN, by=by)
        locked.accepted_at = timezone.now()
        locked.accepted_by = by
        locked.outcome = outcome[:255]
        locked.save(update_fields=["accepted_at", "accepted_by", "outcome"])
    return outcome


def record_from(report: UnverifiedReport) -> BounceRecord:
    """The report record as it was read (fields a later library version added are
    left at their defaults, unknown ones dropped)."""
    data = {k: v for k, v in (report.record or {}).items() if k in _FIELDS}
    defaults: dict[str, Any] = {
        f.name: "" for f in dataclasses.fields(BounceRecord) if f.type in ("str", str)
    }
    defaults["hard"] = False
    return BounceRecord(**{**defaults, **data})


def _fields(record: BounceRecord) -> Iterator[tuple[str, Any]]:
    return ((f.name, getattr(record, f.name)) for f in dataclasses.fields(record))
