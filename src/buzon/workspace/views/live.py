"""The live checks of open pages: 204 when nothing changed, else the changed parts.

See docs/workspace.md ("Live status") for how it works and what it costs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buzon.workspace import deliverydata, live
from buzon.workspace.access import agent_required
from buzon.workspace.delivery_summary import RecipientStatus
from buzon.workspace.templatetags.workspace import delivery_state_label
from buzon.workspace.views.tickets import conversation, events_context, load_ticket, tag_names

UNCHANGED = 204


def _announcement(changed: list[RecipientStatus]) -> str:
    if not changed:
        return ""
    states = "; ".join(f"{r.display_name}: {delivery_state_label(r.state)}" for r in changed)
    return _("Delivery status updated. %(states)s") % {"states": states}


@agent_required
@require_GET
def ticket_live(request: HttpRequest, ticket_id: int) -> HttpResponse:
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
    return render(request, "workspace/partials/ticket_live.html", context)
