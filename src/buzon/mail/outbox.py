"""The transactional outbox: a notification becomes an email and its deliveries.

`on_notification_created` receives `buzon.tickets.signals.notification_created`
inside the transaction of the ticket change, so the comment, its audit, the email
notification and one queued delivery per recipient commit together or not at all.
Nothing is sent here: the worker (`buzon worker`) sends what is queued.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from buzon.deliveries.models import (
    Delivery,
    DeliveryEvent,
    DeliveryState,
    EmailNotification,
    EventKind,
    FailureSource,
)
from buzon.deliveries.recording import MAX_FAILURE_DEPTH, Failure, failure_depth, record_failure
from buzon.domains import dkimkeys
from buzon.mail import outbound
from buzon.mail.models import Direction, MessageReference
from buzon.mail.verp import new_return_token
from buzon.tickets.models import Notification, RecipientKind, Ticket, User

log = logging.getLogger("buzon.mail.outbox")


def on_notification_created(
    sender: Any, notification: Notification, html_body: str | None = None, **kwargs: Any
) -> None:
    enqueue(notification, html_body=html_body)


def enqueue(notification: Notification, *, html_body: str | None = None) -> EmailNotification:
    """Record the email for a notification and queue one delivery per recipient."""
    ticket = notification.ticket
    recipients = list(notification.recipients.all())
    now = timezone.now()
    support_domain = settings.SUPPORT_ADDRESS.rpartition("@")[2]
    message_id = outbound.new_message_id(support_domain, ticket.encoded_id)
    in_reply_to, references = outbound.thread_headers(earlier_message_ids(ticket))
    subject = outbound.header_text(notification.subject)
    raw, error = "", ""
    try:
        built = outbound.build(
            outbound.Draft(
                message_id=message_id,
                subject=subject,
                text=notification.body,
                html=html_body
                if html_body is not None
                else outbound.html_from_text(notification.body),
                from_name=from_name(notification.author),
                support_address=settings.SUPPORT_ADDRESS,
                to=[
                    outbound.Party(r.name, r.email)
                    for r in recipients
                    if r.kind == RecipientKind.TO
                ],
                cc=[
                    outbound.Party(r.name, r.email)
                    for r in recipients
                    if r.kind == RecipientKind.CC
                ],
                in_reply_to=in_reply_to,
                references=references,
                encoded_id=ticket.encoded_id,
                date=now,
            )
        )
        raw = dkim_sign(built, support_domain).decode("ascii")
    except Exception as exc:  # a bug must not lose the comment: record it, send nothing
        log.exception("could not build the email for notification %s", notification.pk)
        error = f"{type(exc).__name__}: {exc}"
    email = EmailNotification.objects.create(
        notification=notification,
        ticket=ticket,
        comment=notification.comment,
        message_id=message_id,
        subject=subject,
        in_reply_to=in_reply_to,
        references=" ".join(references),
        raw_message=raw,
        build_error=error,
        created_at=now,
    )
    MessageReference.objects.create(
        ticket=ticket,
        message_id=message_id,
        direction=Direction.OUTBOUND,
        email_notification=email,
        comment=notification.comment,
        created_at=now,
    )
    expires = now + timedelta(seconds=settings.DELIVERY_LIFETIME)
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                recipient=r,
                email_notification=email,
                ticket=ticket,
                user_id=r.user_id,
                email=r.email,
                name=r.name,
                kind=r.kind,
                state=DeliveryState.QUEUED,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                expires_at=expires,
                return_token=new_return_token(),
            )
            for r in recipients
        ]
    )
    DeliveryEvent.objects.bulk_create(
        [DeliveryEvent(delivery=d, at=now, kind=EventKind.QUEUED) for d in deliveries]
    )
    if failure_depth(notification) >= MAX_FAILURE_DEPTH:
        _cut_loop(deliveries, now)
    return email


def dkim_sign(raw: bytes, domain: str) -> bytes:
    """The message signed once with the From domain's active DKIM key (none: unchanged).

    Signing happens here, once per email, not per recipient: every copy carries the same
    signature. A key that cannot be used (say, BUZON_SECRET_KEY changed) must not stop
    the mail: it goes out unsigned and the error is logged.
    """
    try:
        return dkimkeys.sign(raw, domain)
    except Exception:
        log.exception("could not DKIM-sign mail from %s; sending it unsigned", domain)
        return raw


def earlier_message_ids(ticket: Ticket) -> list[str]:
    """The ticket's thread so far, oldest first (capped: root + the latest ones)."""
    refs = MessageReference.objects.filter(ticket=ticket)
    root = list(refs.order_by("created_at", "id").values_list("message_id", flat=True)[:1])
    latest = list(refs.order_by("-created_at", "-id").values_list("message_id", flat=True)[:50])
    latest.reverse()
    return root + [m for m in latest if m not in root]


def from_name(author: User | None) -> str:
    """ "Agent Name (Account)" for an agent's update; the account's name otherwise."""
    account = settings.ACCOUNT_NAME
    if author is not None and author.is_active and author.is_agent and author.name.strip():
        return f"{author.name} ({account})"
    return account


MAIL_LOOP = "mailloop"  # the reason of a copy not sent to cut a mail loop


def _cut_loop(deliveries: list[Delivery], now: Any) -> None:
    for delivery in deliveries:
        record_failure(
            delivery,
            Failure(
                source=FailureSource.SUPPRESSED,
                reply_code=None,
                enhanced_status="",
                diagnostic="",  # no server said anything: the workspace words it
                remote_mta="",
                reason=MAIL_LOOP,
                hard=False,
                occurred_at=now,
            ),
            audit=False,
        )
    log.warning("mail loop cut: %d deliveries not sent", len(deliveries))
