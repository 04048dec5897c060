"""Email notifications (Zendesk's Email Notifications API): what happened to each
recipient of each email a trigger sent.

Each recipient has Zendesk's `delivery_status {id, name, code, message}` (names in
lower case, from Zendesk's delivery-status table) plus Buzón's `blame` in its own field
(who must act on a failure), and, under `delivery_details`,
Buzón's own account: state, reason class, enhanced status, the server's words,
who reported it and the attempts made. Zendesk clients ignore the extra key.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from buzon.api import types as t
from buzon.api.errors import bad_request, not_found
from buzon.api.pagination import CURSOR_PARAMS, OFFSET_PARAMS, paginate
from buzon.api.router import Call, Param, api, page_of
from buzon.api.serializers import stamp
from buzon.deliveries.models import Delivery, EmailNotification
from buzon.smtpcodes import zendesk_status_by_id

TAG = "Email notifications"
EmailNotificationsPage = page_of(
    "email_notifications", t.EmailNotification, "EmailNotificationsPage"
)
FILTERS = ("ticket_id", "comment_id", "notification_id")


def email_notifications() -> QuerySet[EmailNotification]:
    return EmailNotification.objects.select_related("notification").prefetch_related(
        Prefetch(
            "deliveries",
            queryset=Delivery.objects.order_by("id").prefetch_related("unverified_reports"),
        )
    )


def email_notification_json(call: Call, email: EmailNotification) -> t.EmailNotification:
    notification = email.notification
    message_id = email.message_id or ""
    trigger = None
    if notification.trigger_id is not None:
        trigger = {"id": notification.trigger_id, "title": notification.trigger_title}
    return {
        "url": call.url(f"email_notifications/{notification.pk}"),
        "notification_id": notification.pk,
        "ticket_id": email.ticket_id,
        "comment_id": email.comment_id,
        "email_id": message_id.split("@", 1)[0].strip("<>"),
        "message_id": message_id if message_id.startswith("<") else f"<{message_id}>",
        "recipients": [recipient_json(call, d) for d in email.deliveries.all()],
        "trigger": trigger,
        "created_at": stamp(email.created_at),
        "updated_at": stamp(email.updated_at),
    }


def recipient_json(call: Call, delivery: Delivery) -> t.Recipient:
    status = zendesk_status_by_id(delivery.zendesk_status_id)
    message = status.message(call.user.locale) if status is not None else ""
    return {
        "user_id": delivery.user_id,
        "email_address": delivery.email,
        "delivery_status": {
            "id": delivery.zendesk_status_id,
            "name": (delivery.zendesk_status_name or "NONE").lower(),
            "code": delivery.zendesk_status_code or "0",
            "message": message,
            "blame": delivery.blame if delivery.state == "failed" else "",
        },
        "delivery_details": {
            "state": delivery.state,
            "kind": delivery.kind,
            "reason": delivery.reason,
            "hard": delivery.hard,
            "unverified_reports": len(delivery.unverified_reports.all()),
            "source": delivery.failure_source,
            "reply_code": delivery.reply_code,
            "enhanced_status": delivery.enhanced_status,
            "diagnostic": delivery.diagnostic,
            "remote_mta": delivery.remote_mta,
            "attempts": delivery.attempts,
            "last_error": delivery.last_error,
            "cause": delivery.cause,
            "cause_detail": delivery.cause_detail,
            "handed_off_at": stamp(delivery.handed_off_at),
            "failed_at": stamp(delivery.failed_at),
        },
    }


FILTER_PARAMS = [
    Param(f"filter[{name}]", int, f"Email notifications of this {name[:-3]}") for name in FILTERS
]


@api.get(
    "email_notifications",
    response=EmailNotificationsPage,
    summary="List email notifications",
    tag=TAG,
    query=FILTER_PARAMS
    + CURSOR_PARAMS
    + OFFSET_PARAMS
    + [Param("sort", str, "created_at (oldest first) or -created_at (newest first, the default)")],
)
def list_email_notifications(call: Call) -> dict[str, Any]:
    """Give one of filter[ticket_id], filter[comment_id] or filter[notification_id].
    Newest first."""
    params = {name: call.param(f"filter[{name}]") for name in FILTERS}
    given = {name: value for name, value in params.items() if value}
    if not given:
        raise bad_request(
            "give filter[ticket_id], filter[comment_id] or filter[notification_id]", "filter"
        )
    lookups: dict[str, int] = {}
    for name, value in given.items():
        if not value.isdigit() or len(value) > 18:
            raise bad_request(f"filter[{name}] must be an id", f"filter[{name}]")
        lookups[name] = int(value)
    sort = call.param("sort") or "-created_at"
    if sort not in ("created_at", "-created_at"):
        raise bad_request("sort must be created_at or -created_at", "sort")
    ordering = ["created_at", "id"] if sort == "created_at" else ["-created_at", "-id"]
    page = paginate(call, email_notifications().filter(**lookups), ordering)
    return {
        "email_notifications": [email_notification_json(call, e) for e in page.items],
        **page.envelope,
    }


@api.get(
    "email_notifications/show_many",
    response=EmailNotificationsPage,
    summary="Show many email notifications",
    tag=TAG,
    query=[
        Param("ids", str, "Notification ids, comma-separated"),
        Param("comment_ids", str, "Comment ids"),
        Param("ticket_ids", str, "Ticket ids"),
    ],
)
def show_many_email_notifications(call: Call) -> dict[str, Any]:
    """By notification (`ids`), comment (`comment_ids`) or ticket (`ticket_ids`): give one."""
    choices = {
        "ids": "notification_id__in",
        "comment_ids": "comment_id__in",
        "ticket_ids": "ticket_id__in",
    }
    given = [name for name in choices if call.param(name)]
    if len(given) != 1:
        raise bad_request("give exactly one of ids, comment_ids or ticket_ids", "ids")
    ids = call.ids_param(given[0])
    found = (
        email_notifications()
        .filter(**{choices[given[0]]: ids})
        .order_by("-created_at", "-id")[:100]
    )
    return {"email_notifications": [email_notification_json(call, e) for e in found]}


@api.get(
    "email_notifications/{notification_id}",
    response=t.EmailNotificationResponse,
    summary="Show an email notification",
    tag=TAG,
)
def show_email_notification(call: Call, notification_id: int) -> t.EmailNotificationResponse:
    email = email_notifications().filter(notification_id=notification_id).first()
    if email is None:
        raise not_found()
    return {"email_notification": email_notification_json(call, email)}
