"""What a caller may see: agents see everything, end users their own tickets."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from buzon.api.auth import Caller
from buzon.api.errors import not_found
from buzon.tickets.models import Ticket, User


def visible_tickets(caller: Caller) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if caller.is_agent:
        return tickets
    user = caller.user
    cc_rows = Ticket.email_ccs.through.objects.filter(user_id=user.pk).values("ticket_id")
    return tickets.filter(Q(requester_id=user.pk) | Q(pk__in=cc_rows))


def visible_users(caller: Caller) -> QuerySet[User]:
    if caller.is_agent:
        return User.objects.all()
    return User.objects.filter(pk=caller.user.pk)


def get_ticket(caller: Caller, ticket_id: int) -> Ticket:
    """The ticket if the caller may see it; 404 otherwise (even when it exists)."""
    ticket = visible_tickets(caller).filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found()
    return ticket
