"""Which delivery a bounce is about, and recording what it says.

For each report record (one per recipient the report speaks of), in order:

1. the envelope recipient is a signed return path, `bounces+TOKEN-SIG@BOUNCE_DOMAIN`,
   verified offline (`mail.verp.verify_return_path`) → the delivery with that return
   token. **A return path whose signature is not ours is never trusted and nothing
   else is tried**: the report is kept as unmatched ("forged or damaged token"). A
   tampered token is evidence of forgery, and trying the Message-ID next would let a
   forger who saw one of our emails fail its recipients.
2. the report's `Original-Envelope-Id` (we send `ENVID=<token>` when the relay offers
   DSN) → the delivery with that token, **if its recipient is the record's**;
3. the returned message's Message-ID (one of ours: `EmailNotification.message_id`) and
   the failed recipient → that email's delivery to that recipient.

Anything else is unmatched and changes nothing. Recording is idempotent: each record
carries a dedupe key (`dsn:<report Message-ID or hash>:<recipient>:<action>`), so the
same report processed twice changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from buzon.deliveries.models import Delivery, EmailNotification, FailureSource
from buzon.deliveries.recording import (
    Delay,
    Failure,
    record_complaint,
    record_delay,
    record_delivered,
    record_failure,
)
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.verp import PREFIX, verify_return_path
from buzon_bounces import BounceRecord

_PLACEHOLDER = re.compile(r"^\d\.0\.9\d\d$")


def looks_like_return_path(address: str) -> bool:
    local, _, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    return domain == settings.BOUNCE_DOMAIN.lower() and local.startswith(PREFIX + "+")


def delivery_for_return_path(address: str) -> tuple[Delivery | None, str]:
    token = verify_return_path(address, domain=settings.BOUNCE_DOMAIN)
    if token is None:
        return None, (
            f"Sent to {address[:200]!r}, a return path whose signature is not ours "
            "(forged or damaged token). Nothing was changed; kept for review."
        )
    delivery = Delivery.objects.filter(return_token=token).first()
    if delivery is None:
        return None, (
            "The return path's signature is ours, but no delivery has that token "
            "(deleted?). Nothing was changed; kept for review."
        )
    return delivery, ""


@dataclass
class Match:
    pairs: list[tuple[Delivery, BounceRecord]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    how: str = ""
    why: str = ""


def match(row: InboundMessage, records: list[BounceRecord], return_paths: list[str]) -> Match:
    result = Match()
    if return_paths:
        delivery, problem = delivery_for_return_path(return_paths[0])
        if delivery is None:
            result.why = problem
            return result
        mine = [r for r in records if _same(r.recipient, delivery.email)]
        # The envelope had one recipient: a report naming another address (a forward,
        # an alias) is still about this copy.
        result.pairs = [(delivery, r) for r in (mine or records[:1])]
        result.how = "signed return path"
        return result
    hows = []
    for record in records:
        delivery, how = _by_envelope_id(record) or _by_message_id(record) or (None, "")
        if delivery is None:
            result.unmatched.append(record.recipient or "(no recipient)")
            continue
        result.pairs.append((delivery, record))
        if how not in hows:
            hows.append(how)
    result.how = " and ".join(hows)
    if not result.pairs:
        ids = {r.original_message_id for r in records if r.original_message_id}
        result.why = (
            "No signed return path, and neither the envelope id nor the returned "
            f"Message-ID ({', '.join(sorted(ids))[:300] or 'none given'}) with the failed "
            f"recipient ({', '.join(result.unmatched)[:300]}) matches anything we sent. "
            "Nothing was changed; kept for review."
        )
    return result


def _same(a: str, b: str) -> bool:
    return bool(a) and a.strip().lower() == b.strip().lower()


def _by_envelope_id(record: BounceRecord) -> tuple[Delivery, str] | None:
    envid = (record.envelope_id or "").strip().lower()
    if not envid or not record.recipient:
        return None
    delivery = Delivery.objects.filter(return_token=envid).first()
    if delivery is not None and _same(record.recipient, delivery.email):
        return delivery, "Original-Envelope-Id"
    return None


def _by_message_id(record: BounceRecord) -> tuple[Delivery, str] | None:
    message_id = (record.original_message_id or "").strip().strip("<>")
    if not message_id or not record.recipient:
        return None
    email = EmailNotification.objects.filter(message_id=message_id).first()
    if email is None:
        return None
    delivery = email.deliveries.filter(email__iexact=record.recipient.strip()).first()
    if delivery is None:
        return None
    return delivery, "returned Message-ID and recipient"


def apply(delivery: Delivery, record: BounceRecord, key: str, source: str = "") -> str:
    """Record what one report record says about one delivery; a short description."""
    source = source or FailureSource.DSN
    dedupe = f"{key}:{(record.recipient or delivery.email).lower()}:{record.action}"[:255]
    status = "" if _PLACEHOLDER.match(record.status or "") else (record.status or "")
    code = int(record.reply_code) if (record.reply_code or "").isdigit() else None
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
        ),
    )
    return (
        f"failure recorded ({code or ''} {status} {record.reason})".replace("  ", " ")
        if done
        else "already recorded"
    )
