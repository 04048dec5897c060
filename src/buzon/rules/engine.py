"""The trigger cycle, with Zendesk's semantics.

After each create or update, active triggers are checked in position order. When
one's conditions hold it fires: its actions apply at once, and checking starts
again from the first trigger, so a trigger's change can make another fire. Each
trigger fires at most once per update, so the cycle ends (at the latest once every
trigger has fired) when a full pass fires nothing.

Notification actions are rendered after the cycle, against the ticket as the update
leaves it, and recorded as Notification events with one row per recipient: the
seam to outbound mail (`buzon.tickets.signals.notification_created`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation

from buzon.rules.actions import Action, NotifyAction, apply_action, parse_actions
from buzon.rules.active import active_triggers
from buzon.rules.models import Trigger
from buzon.rules.placeholders import build_context, render, render_html, render_text
from buzon.tickets.changes import Update, record_event
from buzon.tickets.models import (
    EventType,
    Group,
    Notification,
    NotificationRecipient,
    RecipientKind,
    Role,
    User,
)
from buzon.tickets.signals import notification_created


@dataclass
class PendingNotification:
    trigger: Trigger
    action: NotifyAction


def trigger_source(trigger: Trigger) -> dict[str, Any]:
    """Zendesk's `via` for a change or email made by a trigger."""
    return {
        "channel": "rule",
        "source": {"from": {"id": trigger.pk, "title": trigger.title}, "rel": "trigger"},
    }


def run_triggers(update: Update, *, version: str | None = None) -> list[Trigger]:
    """Run the trigger cycle for an update; return the triggers that fired, in order.
    `version`: the triggers' version, when the caller read it (`buzon.rules.active`)."""
    triggers = active_triggers(version)
    fired: list[Trigger] = []
    pending: list[PendingNotification] = []
    fired_ids: set[int] = set()
    while True:
        trigger = next(
            (t for t in triggers if t.pk not in fired_ids and t.condition_set.matches(update)),
            None,
        )
        if trigger is None:
            break
        fired_ids.add(trigger.pk)
        fired.append(trigger)
        for action in parse_actions(trigger.actions):
            if isinstance(action, NotifyAction):
                pending.append(PendingNotification(trigger, action))
            else:
                apply_action(action, update, trigger_source(trigger))
    for item in pending:
        send_notification(update, item)
    return fired


def in_account_language(text: str) -> str:
    """A standard trigger's text as shipped (its English catalogue entry) in the
    account's language (BUZON_LANGUAGE); an edited text is not in the catalogue and
    stays as written."""
    if not text.strip():
        return text
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text)


def send_notification(update: Update, item: PendingNotification) -> Notification | None:
    """Render one notification and record it with its recipients (nothing is mailed here)."""
    recipients = resolve_recipients(update, item.action)
    if not recipients:
        return None
    context = build_context(update.ticket, update.actor)
    subject_source = in_account_language(item.action.subject)
    body_source = in_account_language(item.action.body)
    subject = " ".join(render(subject_source, context).split())[:998]
    # The plain-text body (HTML placeholders as text) and, for the email's HTML
    # part, the same body as sanitised HTML, both from the ticket as it is now.
    body = render_text(body_source, context)
    html_body = render_html(body_source, context)
    source = trigger_source(item.trigger)
    event = record_event(
        update.audit,
        EventType.NOTIFICATION,
        data={
            "subject": subject,
            "body": body,
            "recipients": [user.pk for user, _ in recipients],
            "via": source,
        },
    )
    notification = Notification.objects.create(
        ticket=update.ticket,
        event=event,
        comment=update.comment,
        trigger_id=item.trigger.pk,
        trigger_title=item.trigger.title,
        author=update.actor,
        subject=subject,
        body=body,
        created_at=update.audit.created_at,
    )
    NotificationRecipient.objects.bulk_create(
        [
            NotificationRecipient(
                notification=notification, user=user, name=user.name, email=user.email, kind=kind
            )
            for user, kind in recipients
        ]
    )
    notification_created.send(sender=Notification, notification=notification, html_body=html_body)
    return notification


def resolve_recipients(update: Update, action: NotifyAction) -> list[tuple[User, str]]:
    """Who an email goes to: (user, "to"/"cc") pairs, each address once.

    As in Zendesk, the person who made an update is not emailed about it (unless the
    action names "current_user"; a requester opening a ticket does get the receipt for
    it), and when the update's comment is internal no end
    user is emailed at all: an internal note must never leave the building.
    """
    ticket = update.ticket
    target = action.target
    chosen: list[tuple[User, str]] = []
    if action.kind == "group":
        group_id = ticket.group_id if target == "group_id" else target
        group = Group.objects.filter(pk=group_id).first() if group_id else None
        if group:
            chosen = [(u, RecipientKind.TO) for u in group.agents.filter(is_active=True)]
    elif target == "requester_id":
        chosen = [(ticket.requester, RecipientKind.TO)]
    elif target == "requester_and_ccs":
        chosen = [(ticket.requester, RecipientKind.TO)]
        chosen += [(u, RecipientKind.CC) for u in ticket.email_ccs.order_by("pk")]
    elif target == "assignee_id":
        chosen = [(ticket.assignee, RecipientKind.TO)] if ticket.assignee else []
    elif target == "current_user":
        chosen = [(update.actor, RecipientKind.TO)]
    elif target == "all_agents":
        agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
        chosen = [(u, RecipientKind.TO) for u in agents.order_by("pk")]
    else:
        user = User.objects.filter(pk=target).first()
        chosen = [(user, RecipientKind.TO)] if user else []

    private_update = update.comment is not None and not update.comment.public
    result: list[tuple[User, str]] = []
    seen: set[str] = set()
    for user, kind in chosen:
        if not user.is_active or user.email.lower() in seen:
            continue
        if user.pk == update.actor.pk and target != "current_user" and not update.is_create:
            continue
        if private_update and not user.is_agent:
            continue
        seen.add(user.email.lower())
        result.append((user, kind))
    return result


__all__ = ["Action", "run_triggers", "send_notification", "trigger_source"]
