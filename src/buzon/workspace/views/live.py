"""The live checks of open pages: 204 when nothing changed, else the changed parts.

See docs/workspace.md ("Live status") for how it works and what it costs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buzon.tickets.models import Ticket
from buzon.workspace import deliverydata, live
from buzon.workspace.access import AgentRequest, agent_required
from buzon.workspace.delivery_summary import RecipientStatus
from buzon.workspace.templatetags.workspace import delivery_state_label
from buzon.workspace.views.tickets import (
    ReplyRecipient,
    conversation,
    events_context,
    load_ticket,
    reply_recipients,
    reply_version,
    tag_names,
)

UNCHANGED = 204


def _announcement(changed: list[RecipientStatus]) -> str:
    if not changed:
        return ""
    states = "; ".join(f"{r.display_name}: {delivery_state_label(r.state)}" for r in changed)
    return _("Delivery status updated. %(states)s") % {"states": states}


def _warning(undeliverable: str) -> str:
    if undeliverable == "suppressed":
        return _("suppressed after failures")
    return _("undeliverable")


def _reply_announcement(recipients: list[ReplyRecipient]) -> str:
    """The reply box's "To" line changed: who it now warns about."""
    warned = "; ".join(
        f"{r.user.name or r.user.email}: {_warning(r.undeliverable)}"
        for r in recipients
        if r.undeliverable
    )
    if not warned:
        return _("The reply's recipients changed.")
    return _("The reply's recipients changed. %(warnings)s") % {"warnings": warned}


@agent_required
@require_GET
def ticket_live(request: AgentRequest, ticket_id: int) -> HttpResponse:
    """The ticket page's check. Idle: one query. Changed: the delivery block of each
    comment whose deliveries moved, the tags, and a polite announcement."""
    rows = deliverydata.live_rows(ticket_id)
    previous = request.GET.get("v", "")
    version = live.version_of(rows)
    if version == previous:
        return HttpResponse(status=UNCHANGED)
    ticket = load_ticket(ticket_id)
    moved = live.changed_deliveries(rows, previous)
    entries, _total = conversation(ticket)
    changed = [
        e
        for e in entries
        if moved is None or any(r.delivery_id in moved for r in e.summary.recipients)
    ]
    recipients = [
        r
        for e in changed
        for r in e.summary.recipients
        if moved is not None and r.delivery_id in moved
    ]
    context = {
        "ticket": ticket,
        "version": version,
        "changed": changed,
        "tags": tag_names(ticket),
        "announcement": _announcement(recipients),
        "events": request.GET.get("log") == "events",
    }
    if context["events"]:
        context.update(events_context(ticket))
    context.update(_reply_to(request, ticket))
    return render(request, "workspace/partials/ticket_live.html", context)


def _reply_to(request: AgentRequest, ticket: Ticket) -> dict[str, Any]:
    """The reply box's "To" line and warnings, when they differ from the page's."""
    recipients = reply_recipients(ticket, request.user)
    version = reply_version(recipients)
    if version == request.GET.get("to", ""):
        return {"reply_version": version}
    return {
        "reply_version": version,
        "reply_to_changed": True,
        "reply_recipients": recipients,
        "undeliverable_recipients": [r for r in recipients if r.undeliverable],
        "reply_announcement": _reply_announcement(recipients),
    }
