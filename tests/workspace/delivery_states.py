"""A ticket whose one comment went to a recipient in each delivery state, recorded
through the deliveries app's own functions (the browser seed and the Spanish pages
use it). No copy is left for a worker to claim: the queued and the retrying ones are
due tomorrow."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, Reply, record_deferral, record_failure
from buzon.deliveries.suppression import suppress
from buzon.tickets.models import Ticket, User, Via
from buzon.tickets.services import CommentInput, create_ticket

REFUSED_TEXT = "550 5.1.1 <rechazo@example.com>: Recipient address rejected: User unknown"
SUPPRESSED_TEXT = "550 5.1.1 <suprimida@example.com>: Recipient address rejected: no such user"
FULL_TEXT = "452 4.2.2 <lleno@example.com>: Mailbox over quota, try again later"

# address: (name, state)
RECIPIENTS = {
    "espera@example.com": ("Quique Espera", "queued"),
    "entregado@example.com": ("Hugo Entregado", "handed_off"),
    "confirmado@example.com": ("Delia Confirmada", "delivered"),
    "lento@example.com": ("Ramón Lento", "deferred"),
    "rechazo@example.com": ("Rita Rechazo", "refused"),
    "lleno@example.com": ("Elena Llena", "expired"),
    "suprimida@example.com": ("Susana Suprimida", "suppressed"),
}


def _person(email: str, name: str) -> User:
    return User.objects.filter(email=email).first() or User.objects.create_user(email, name)


def seed_delivery_states(agent: User) -> dict[str, int]:
    """{"ticket": id, <state>: delivery id, ...}."""
    people = [_person(email, name) for email, (name, _) in RECIPIENTS.items()]
    # The suppression comes from an earlier failure, before this comment's copies.
    suppress(
        "suprimida@example.com",
        reason="userunknown",
        source="dsn",
        reply_code=550,
        enhanced_status="5.1.1",
        diagnostic=SUPPRESSED_TEXT,
        now=timezone.now() - timedelta(days=3),
    )
    ticket: Ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={
            "subject": "Estados de entrega",
            "requester_id": people[0].pk,
            "email_cc_ids": [p.pk for p in people[1:]],
        },
        comment=CommentInput(body="Hola a todos: os escribimos por la factura."),
    )
    deliveries = {d.email: d for d in Delivery.objects.filter(ticket=ticket)}
    ids = {"ticket": ticket.pk}
    tomorrow = timezone.now() + timedelta(days=1)
    for email, (_, state) in RECIPIENTS.items():
        d = deliveries[email]
        ids[state] = d.pk
        _put_in_state(d, state, tomorrow)
    return ids


def _put_in_state(d: Delivery, state: str, tomorrow) -> None:
    now = timezone.now()
    rows = Delivery.objects.filter(pk=d.pk)
    if state == "queued":
        rows.update(next_attempt_at=tomorrow, expires_at=tomorrow + timedelta(days=4))
    elif state == "handed_off":
        rows.update(state="handed_off", handed_off_at=now, attempts=1, next_attempt_at=None)
    elif state == "delivered":
        rows.update(state="delivered", handed_off_at=now, delivered_at=now, attempts=1,
                    next_attempt_at=None)  # fmt: skip
    elif state == "deferred":
        rows.update(expires_at=tomorrow + timedelta(days=4))
        record_deferral(d, Reply(452, "4.2.2", "Mailbox over quota, try again later",
                                 "mx.example.com"))  # fmt: skip
        rows.update(next_attempt_at=tomorrow)
    elif state == "refused":
        record_failure(d, Failure("dsn", 550, "5.1.1", REFUSED_TEXT, "mx.example.com",
                                  "userunknown", True, blame="address"))  # fmt: skip
    elif state == "expired":
        rows.update(attempts=6)
        record_failure(d, Failure("expired", 452, "4.2.2", FULL_TEXT, "", "expired", False,
                                  dedupe_key="expired", blame="mailbox"))  # fmt: skip
    elif state == "suppressed":
        from buzon.deliveries.suppression import active_suppressions

        s = active_suppressions([d.email])[d.email.lower()]
        record_failure(d, Failure("suppressed", s.reply_code, s.enhanced_status, s.diagnostic,
                                  "", s.reason, False, blame="address",
                                  suppressed_since=s.created_at))  # fmt: skip
