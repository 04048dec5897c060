"""The ticket page: header, conversation with delivery status, events log, composer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buzon.domains.typos import suggest_address
from buzon.rules.models import Trigger
from buzon.tickets.changes import TicketChangeError
from buzon.tickets.models import (
    Audit,
    AuditEvent,
    Comment,
    EventType,
    Group,
    Notification,
    Organization,
    Ticket,
    TicketTag,
    User,
    Via,
)
from buzon.tickets.services import CommentInput, update_ticket
from buzon.workspace import deliverydata, live
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.delivery_summary import DeliverySummary, summarize
from buzon.workspace.forms import ReplyForm

# A ticket with more comments than this shows the newest ones and a link to the rest.
COMMENT_LIMIT = 300
AUDIT_LIMIT = 300


@dataclass(frozen=True, slots=True)
class CommentRow:
    """What the conversation shows of a comment, read with `values_list` (model
    instances of the comments and their authors cost the page more than their query)."""

    id: int
    public: bool
    created_at: datetime
    via: str
    html_body: str
    attachments: list[dict[str, Any]]
    author_name: str

    @property
    def pk(self) -> int:
        return self.id


_COMMENT_FIELDS = ("id", "public", "created_at", "via", "html_body", "attachments", "author__name")


@dataclass
class CommentEntry:
    comment: CommentRow
    summary: DeliverySummary


@dataclass(frozen=True)
class ReplyRecipient:
    user: User
    kind: str
    undeliverable: str  # "" | "undeliverable" | "suppressed"
    suggestion: str | None


def load_ticket(ticket_id: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("requester", "assignee", "group", "organization"),
        pk=ticket_id,
    )


def tag_names(ticket: Ticket) -> list[str]:
    return sorted(TicketTag.objects.filter(ticket_id=ticket.pk).values_list("name", flat=True))


# What the page and the reply's recipients read of a person.
_PERSON_FIELDS = ("id", "name", "email", "is_active")


def email_ccs(ticket: Ticket) -> list[User]:
    """The CCs, read once per page (a prefetch would cost the page more than the query),
    with only the fields shown (the related manager and whole rows cost more than the query)."""
    return list(User.objects.filter(cc_tickets=ticket.pk).only(*_PERSON_FIELDS))


def conversation(ticket: Ticket) -> tuple[list[CommentEntry], int]:
    """Comments in order, each with the delivery summary of its notifications, and how
    many comments the ticket has (counted only when it has more than shown)."""
    newest = [
        CommentRow(*row)
        for row in Comment.objects.filter(ticket=ticket)
        .order_by("-created_at", "-id")
        .values_list(*_COMMENT_FIELDS)[:COMMENT_LIMIT]
    ]
    total = len(newest)
    if total == COMMENT_LIMIT:
        total = Comment.objects.filter(ticket=ticket).count()
    newest.reverse()
    recipients = deliverydata.recipients_by_comment(c.pk for c in newest)
    entries = [CommentEntry(c, summarize(recipients.get(c.pk, []))) for c in newest]
    return entries, total


def reply_recipients(
    ticket: Ticket, actor: User, ccs: list[User] | None = None
) -> list[ReplyRecipient]:
    """Who a public reply emails (the standard trigger: requester and CCs, current addresses)."""
    copied = email_ccs(ticket) if ccs is None else ccs
    people = [(ticket.requester, "to")] + [(u, "cc") for u in copied]
    chosen = [(user, kind) for user, kind in people if user.is_active and user.pk != actor.pk]
    reasons = deliverydata.undeliverable_reasons(user.email for user, _ in chosen)
    return [
        ReplyRecipient(user, kind, reasons.get(user.email.lower(), ""), suggest_address(user.email))
        for user, kind in chosen
    ]


def ticket_context(request: AgentRequest, ticket: Ticket, form: ReplyForm | None = None) -> dict:
    entries, total = conversation(ticket)
    ccs = email_ccs(ticket)
    recipients = reply_recipients(ticket, request.user, ccs)
    return {
        "ticket": ticket,
        "tags": tag_names(ticket),
        "ccs": ccs,
        "entries": entries,
        "comment_total": total,
        "comment_limit": COMMENT_LIMIT,
        "form": form or ReplyForm(),
        "reply_recipients": recipients,
        "undeliverable_recipients": [r for r in recipients if r.undeliverable],
        "log": request.GET.get("log", "conversation"),
        "version": live.version_of(deliverydata.live_rows(ticket.pk)),
        "reply_version": reply_version(recipients),
    }


def reply_version(recipients: list[ReplyRecipient]) -> str:
    return live.reply_version((r.user.email, r.kind, r.undeliverable) for r in recipients)


@agent_required
def ticket_page(request: AgentRequest, ticket_id: int) -> HttpResponse:
    ticket = load_ticket(ticket_id)
    context = ticket_context(request, ticket)
    if context["log"] == "events":
        context.update(events_context(ticket))
    return render(request, "workspace/ticket.html", context)


@agent_required
def ticket_events(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The events log alone (htmx swaps it in place of the conversation)."""
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    return render(
        request, "workspace/partials/events.html", {"ticket": ticket, **events_context(ticket)}
    )


@agent_required
def ticket_conversation(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    entries, total = conversation(ticket)
    return render(
        request,
        "workspace/partials/conversation.html",
        {
            "ticket": ticket,
            "entries": entries,
            "comment_total": total,
            "comment_limit": COMMENT_LIMIT,
        },
    )


@agent_required
@require_POST
def ticket_reply(request: AgentRequest, ticket_id: int) -> HttpResponse:
    ticket = load_ticket(ticket_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(request, "workspace/ticket.html", ticket_context(request, ticket, form))
    recipients = reply_recipients(ticket, request.user)
    blocked = [r for r in recipients if r.undeliverable]
    if form.is_public and blocked and not form.cleaned_data["send_anyway"]:
        form.add_error(
            "send_anyway",
            _(
                "Some recipients are currently undeliverable. Fix their address in the "
                "profile, or tick “Send anyway” to try again."
            ),
        )
        return render(
            request, "workspace/ticket.html", ticket_context(request, ticket, form), status=409
        )
    fields: dict[str, Any] = {}
    if form.cleaned_data["status"] and form.cleaned_data["status"] != ticket.status:
        fields["status"] = form.cleaned_data["status"]
    try:
        audit = update_ticket(
            ticket,
            actor=request.user,
            via=Via.WEB,
            fields=fields,
            comment=CommentInput(body=form.cleaned_data["body"], public=form.is_public),
        )
    except TicketChangeError as exc:
        form.add_error(None, str(exc))
        return render(request, "workspace/ticket.html", ticket_context(request, ticket, form))
    if form.is_public and recipients:
        messages.success(
            request,
            _("Reply sent to %(people)s.")
            % {"people": ", ".join(f"{r.user.name} <{r.user.email}>" for r in recipients)},
        )
    else:
        messages.success(request, _("Saved."))
    anchor = ""
    if audit is not None:
        comment_event = audit.events.filter(type=EventType.COMMENT).first()
        if comment_event is not None:
            anchor = f"#comment-{comment_event.comment_id}"
    return redirect(reverse("workspace:ticket", args=[ticket.pk]) + anchor)


@agent_required
@require_POST
def accept_report(request: AgentRequest, ticket_id: int, report_id: int) -> HttpResponse:
    """An agent vouches for an unverified delivery report: it is recorded like an
    authentic one (status, tag, the address's deliverability), audited in their name."""
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    outcome = deliverydata.accept_unverified_report(ticket.pk, report_id, request.user)
    if outcome is None:
        messages.error(request, _("There is no such report on this ticket."))
    else:
        messages.success(request, _("Report accepted and recorded."))
    log = request.POST.get("log", "")
    query = "?log=events" if log == "events" else ""
    return redirect(reverse("workspace:ticket", args=[ticket.pk]) + query)


# --- The events log ----------------------------------------------------------


@dataclass
class EventEntry:
    event: AuditEvent
    notification: Notification | None = None
    recipients: list[Any] | None = None


@dataclass
class AuditEntry:
    audit: Audit
    events: list[EventEntry]
    triggers: list[tuple[int, str]]


def events_context(ticket: Ticket) -> dict[str, Any]:
    audits = list(
        Audit.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("events", queryset=AuditEvent.objects.select_related("comment")))
        .order_by("-created_at", "-id")[:AUDIT_LIMIT]
    )
    event_ids = [e.pk for a in audits for e in a.events.all() if e.type == EventType.NOTIFICATION]
    notifications = {n.event_id: n for n in Notification.objects.filter(event_id__in=event_ids)}
    recipients = deliverydata.recipients_by_notification(n.pk for n in notifications.values())
    names = _names_for(audits)
    entries = []
    for audit in audits:
        events = []
        triggers: dict[int, str] = {}
        for event in audit.events.all():
            note = notifications.get(event.pk)
            events.append(EventEntry(event, note, recipients.get(note.pk, []) if note else None))
            source = (event.data or {}).get("via") or {}
            found = (source.get("source") or {}).get("from") or {}
            if found.get("id"):
                triggers[int(found["id"])] = str(found.get("title", ""))
        entries.append(AuditEntry(audit, events, sorted(triggers.items())))
    return {
        "audits": entries,
        "names": names,
        "audit_limit": AUDIT_LIMIT,
        "unverified_reports": _unverified_reports(notifications, recipients),
    }


def _unverified_reports(
    notifications: dict[int, Notification], recipients: dict[int, list[Any]]
) -> list[dict[str, Any]]:
    """The unverified reports about the emails in this log, newest first (already
    loaded with the recipients: no query of its own)."""
    items = []
    for note in notifications.values():
        for r in recipients.get(note.pk, []):
            for report in r.unverified:
                items.append(
                    {
                        "report": report,
                        "email": r.email,
                        "name": r.name,
                        "trigger_id": note.trigger_id,
                        "trigger_title": note.trigger_title,
                    }
                )
    return sorted(items, key=lambda i: (i["report"].received_at, i["report"].id), reverse=True)


def _names_for(audits: list[Audit]) -> dict[str, dict[str, str]]:
    """Display names for the ids that change events carry (users, groups, organizations)."""
    user_ids: set[int] = set()
    group_ids: set[int] = set()
    org_ids: set[int] = set()

    def ids(value: Any) -> list[int]:
        items = value if isinstance(value, list) else [value]
        return [int(v) for v in items if isinstance(v, int | str) and str(v).isdigit()]

    for audit in audits:
        for event in audit.events.all():
            data = event.data or {}
            if event.field_name in {"requester_id", "assignee_id", "follower_ids"}:
                user_ids.update(ids(event.value) + ids(event.previous_value))
            elif event.field_name == "group_id":
                group_ids.update(ids(event.value) + ids(event.previous_value))
            elif event.field_name == "organization_id":
                org_ids.update(ids(event.value) + ids(event.previous_value))
            if event.type == EventType.EMAIL_CC_CHANGE:
                user_ids.update(ids(data.get("previous_email_ccs", [])))
                user_ids.update(ids(data.get("current_email_ccs", [])))
            if event.type == EventType.NOTIFICATION:
                user_ids.update(ids(data.get("recipients", [])))
    return {
        "user": {
            str(pk): f"{name} <{email}>"
            for pk, name, email in User.objects.filter(pk__in=user_ids).values_list(
                "pk", "name", "email"
            )
        }
        if user_ids
        else {},
        "group": {
            str(pk): name
            for pk, name in Group.objects.filter(pk__in=group_ids).values_list("pk", "name")
        }
        if group_ids
        else {},
        "organization": {
            str(pk): name
            for pk, name in Organization.objects.filter(pk__in=org_ids).values_list("pk", "name")
        }
        if org_ids
        else {},
    }


@agent_required
def trigger_page(request: HttpRequest, trigger_id: int) -> HttpResponse:
    """A read-only trigger, linked from the events log's "Email notification" section."""
    trigger = get_object_or_404(Trigger, pk=trigger_id)
    return render(request, "workspace/trigger.html", {"trigger": trigger})
