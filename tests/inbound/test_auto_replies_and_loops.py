"""Automatic replies are internal notes that email nobody; a sender that keeps writing
(an auto-responder the headers did not give away) is held after the threshold."""

from __future__ import annotations

import pytest
from inboundmail import email_of, ingest, process_all, reply

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.processor import replay
from buzon.mail.verp import return_path
from buzon.tickets.models import Ticket

VACATION = {
    "auto-submitted": {"Auto-Submitted": "auto-replied"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "precedence": {"Precedence": "auto_reply"},
    "precedence-bulk": {"Precedence": "bulk"},
    "exchange": {"X-Auto-Response-Suppress": "All"},
}


@pytest.mark.parametrize("headers", list(VACATION.values()), ids=list(VACATION))
def test_a_vacation_reply_is_an_internal_note_and_sends_nothing(ticket, headers):
    emails_before = EmailNotification.objects.count()
    raw = reply(
        email_of(ticket),
        "ana@example.com",
        "Estoy de vacaciones hasta el lunes.",
        quote=False,
        headers=headers,
        subject="Automatic reply: Factura duplicada",
    )
    row = ingest(raw, "ana@example.com")
    assert (row.state, row.kind, row.outcome) == ("processed", "auto_reply", "auto_reply_note")
    note = ticket.comments.order_by("-id").first()
    assert not note.public and note.metadata["auto_reply"] is True
    assert note.body.startswith("[Automatic reply]")
    assert EmailNotification.objects.count() == emails_before  # no trigger ran
    assert note.ticket.audits.order_by("-id").first().metadata["rules_skipped"] is True


def test_an_auto_reply_to_the_return_path_lands_on_the_delivery_ticket(ticket):
    ana = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    raw = reply(
        email_of(ticket), "ana@example.com", "Fuera de la oficina.", quote=False,
        headers={"Auto-Submitted": "auto-replied"}, to=return_path(ana.return_token),
    )  # fmt: skip
    row = ingest(raw, "", [return_path(ana.return_token)])
    assert row.outcome == "auto_reply_note" and row.ticket_id == ticket.pk
    assert "signed return path" in row.detail


def test_an_auto_reply_that_matches_no_ticket_opens_none(db):
    from inboundmail import message

    raw = message(
        sender="x@example.org", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
    )
    row = ingest(raw)
    assert row.outcome == "ignored_auto_reply" and not Ticket.objects.exists()


def test_a_vacation_reply_is_never_taken_for_a_bounce(ticket):
    ana = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    record_handoffs([(ana, Reply(250))])
    raw = reply(
        email_of(ticket), "ana@example.com", "I am out of the office until Monday.",
        quote=False, headers={"Auto-Submitted": "auto-replied"},
        subject="Out of Office: Factura", to=return_path(ana.return_token),
    )  # fmt: skip
    ingest(raw, "", [return_path(ana.return_token)])
    ana.refresh_from_db()
    assert ana.state == "handed_off"


def test_our_own_notification_coming_back_is_ignored(ticket):
    raw = email_of(ticket).raw_message.encode()
    row = ingest(raw, "bounces@helpdesk.test")
    assert row.outcome == "ignored_own_message"


def test_two_auto_responders_ping_ponging_stop_at_the_threshold(ticket, settings):
    """Ana and Carla answer every notification with a reply that looks human. Each
    reply is a public comment that notifies the other... until the loop guard holds
    their mail."""
    settings.INBOUND_LOOP_LIMIT = 5
    answered: set[int] = set()
    for _ in range(100):
        todo = Delivery.objects.filter(
            ticket=ticket, email__in=["ana@example.com", "carla@example.com"]
        ).exclude(pk__in=answered)
        if not todo.exists():
            break
        for delivery in todo:
            answered.add(delivery.pk)
            raw = reply(delivery.email_notification, delivery.email, "Recibido, gracias.")
            ingest(raw, delivery.email)
    else:
        pytest.fail("the loop did not stop")
    held = InboundMessage.objects.filter(state="held")
    processed = InboundMessage.objects.filter(state="processed", kind="reply")
    assert held.exists()
    assert processed.filter(sender="ana@example.com").count() == 5
    assert processed.filter(sender="carla@example.com").count() == 5
    assert "loop guard" in held.first().detail
    # An admin can release a held message once the loop is fixed.
    settings.INBOUND_LOOP_LIMIT = 0
    pk = held.first().pk
    assert replay([pk]) == 1
    process_all()
    assert InboundMessage.objects.get(pk=pk).state == "processed"
