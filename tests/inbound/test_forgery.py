"""Forged reports and forged senders, through the real inbound SMTP server: an outsider
who saw one of our emails (every CC'd customer does) cannot fail a delivery, suppress
an address, tag a ticket, or write as someone else.

1. an unsigned multipart/report to support@ or postmaster@, naming a real Message-ID
   and another recipient, from `<>` or from anyone: kept as an unverified report on
   that delivery, nothing else changes;
2. an unsigned envelope id: the same;
3. `From: =?utf-8?q?ceo=40bank=2Eexample=2C?= <eve@evil.example>` is eve@evil.example,
   with or without an Authentication-Results that passes DMARC for evil.example.

A genuine report to the signed return path still fails the delivery."""

from __future__ import annotations

import smtplib

import pytest
from helpers import free_port
from inboundmail import dsn, email_of, live_db, message, process_all, reply

from buzon.deliveries.models import Delivery, DeliveryEvent, Suppression, UnverifiedReport
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer
from buzon.mail.verp import return_path
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import (
    AuditEvent,
    Comment,
    NotificationRecipient,
    Ticket,
    User,
    UserIdentity,
    Via,
)
from buzon.tickets.services import CommentInput, create_ticket

pytestmark = live_db

FORGED_FROM = "=?utf-8?q?ceo=40bank=2Eexample=2C?= <eve@evil.example>"
DMARC_PASS = (
    "mx.helpdesk.test; dmarc=pass (p=none) header.from=evil.example; "
    "dkim=pass header.d=evil.example header.s=s1; spf=pass smtp.mailfrom=eve@evil.example"
)


@pytest.fixture
def server():
    with InboundServer("127.0.0.1", free_port()) as running:
        yield running


def send(server: InboundServer, raw: bytes, mail_from: str, rcpt: str) -> InboundMessage:
    """Over SMTP, as anyone on the internet could; then the worker processes it."""
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as smtp:
        smtp.ehlo("mx.evil.example")
        smtp.mail(mail_from)
        assert smtp.rcpt(rcpt)[0] == 250
        code, _ = smtp.data(raw)
        assert code == 250
    process_all()
    return InboundMessage.objects.order_by("-id").first()


@pytest.fixture
def sent(ticket) -> list[Delivery]:
    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    return list(Delivery.objects.filter(ticket=ticket).order_by("id"))


def everything(ticket) -> tuple:
    """What a verdict could change: states, blames, events, audits, tags, identities,
    suppressions."""
    return (
        list(Delivery.objects.order_by("id").values_list("state", "blame", "failure_source")),
        DeliveryEvent.objects.count(),
        AuditEvent.objects.count(),
        sorted(ticket.tag_list),
        list(
            UserIdentity.objects.order_by("id").values_list(
                "value", "deliverable_state", "undeliverable_count"
            )
        ),
        Suppression.objects.count(),
    )


@pytest.mark.parametrize("rcpt", ["support@helpdesk.test", "postmaster@helpdesk.test"])
@pytest.mark.parametrize("mail_from", ["", "eve@evil.example"])
def test_an_unsigned_report_naming_a_real_message_id_changes_nothing(
    server, ticket, sent, rcpt, mail_from
):
    carla = next(d for d in sent if d.email == "carla@example.com")
    before = everything(ticket)
    # Ana got the email and saw Carla in Cc: she writes a bounce about Carla's copy.
    raw = dsn(sent[0], recipient=carla.email)
    row = send(server, raw, mail_from, rcpt)
    assert (row.state, row.outcome) == ("processed", "unverified_report")
    assert everything(ticket) == before
    assert FAILURE_TAG not in ticket.tag_list
    (report,) = UnverifiedReport.objects.all()
    assert report.delivery_id == carla.pk and report.accepted_at is None
    assert report.peer.startswith("127.0.0.1")


def test_an_unsigned_envelope_id_changes_nothing(server, ticket, sent):
    ana = sent[0]
    raw = dsn(ana).replace(
        b"Reporting-MTA: dns; sandbox.buzon.test\r\n",
        b"Reporting-MTA: dns; sandbox.buzon.test\r\nOriginal-Envelope-Id: "
        + ana.return_token.encode()
        + b"\r\n",
    )
    raw = raw.replace(email_of(ticket).message_id.encode(), b"elsewhere@evil.example")
    before = everything(ticket)
    row = send(server, raw, "", "postmaster@helpdesk.test")
    assert row.outcome == "unverified_report" and "unsigned envelope id" in row.detail
    assert everything(ticket) == before
    assert UnverifiedReport.objects.get().delivery_id == ana.pk


def test_a_genuine_report_to_the_signed_return_path_fails_the_delivery(server, ticket, sent):
    ana = sent[0]
    row = send(server, dsn(ana), "", return_path(ana.return_token))
    ana.refresh_from_db()
    assert row.outcome == "recorded" and (ana.state, ana.blame) == ("failed", "address")
    assert FAILURE_TAG in Ticket.objects.get(pk=ticket.pk).tag_list
    assert Suppression.objects.filter(address=ana.email).exists()


@pytest.mark.parametrize("authenticated", [False, True])
def test_an_encoded_word_never_makes_a_new_sender(server, settings, db, authenticated):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"
    headers = {"Authentication-Results": DMARC_PASS} if authenticated else {}
    raw = message(sender="placeholder@x.example", subject="Wire transfer", headers=headers)
    raw = raw.replace(b"From: placeholder@x.example", b"From: " + FORGED_FROM.encode())
    row = send(server, raw, "eve@evil.example", "support@helpdesk.test")
    assert row.outcome == "new_ticket"
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.requester.email == "eve@evil.example"
    assert not User.objects.filter(email__iexact="ceo@bank.example").exists()
    assert not NotificationRecipient.objects.filter(email__iexact="ceo@bank.example").exists()
    assert not Delivery.objects.filter(email__iexact="ceo@bank.example").exists()


@pytest.mark.parametrize("authenticated", [False, True])
def test_an_encoded_word_never_writes_as_another_requester(server, settings, agent, authenticated):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"
    ceo = User.objects.create_user("ceo@bank.example", "The CEO")
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Your account", "requester_id": ceo.pk},
        comment=CommentInput(body="Hello"),
    )
    headers = {"Authentication-Results": DMARC_PASS} if authenticated else {}
    raw = reply(email_of(ticket), "placeholder@x.example", "Send the money", headers=headers)
    raw = raw.replace(b"From: placeholder@x.example", b"From: " + FORGED_FROM.encode())
    row = send(server, raw, "eve@evil.example", "support@helpdesk.test")
    assert row.ticket_id == ticket.pk and row.outcome == "internal_note"
    comment = Comment.objects.filter(ticket=ticket).order_by("-id").first()
    assert comment.author.email == "eve@evil.example" and comment.public is False
    assert (
        not Comment.objects.filter(ticket=ticket, author=ceo, public=True)
        .exclude(pk=ticket.comments.order_by("id").first().pk)
        .exists()
    )
