"""Bounces that come back to the shared support mailbox.

A relay that rewrites the envelope sender (Gmail, Microsoft 365) sends its bounces to
the support address, not to the signed return path. Each copy Buzón sends carries its
own `X-Buzon-Copy` id, signed for its recipient; the returned message keeps it, so such
a bounce is still an authentic report about that one copy. A customer in Cc holds their
own copy's id, which proves nothing about anyone else's. Mail sent before copies
carried an id, and any id that does not verify, leaves an unverified report.

The copies are sent by the real worker over SMTP to a sink standing in for the relay;
the bounces are written as Gmail writes them and delivered over SMTP to the real
inbound server (or appended to a real Dovecot mailbox and read by the IMAP reader)."""

from __future__ import annotations

import re
import secrets
import smtplib
from email.utils import formatdate

import pytest
from dovecot import REASON, Dovecot, available
from helpers import free_port
from inboundmail import email_of, live_db, message, process_all

from buzon.deliveries.models import Delivery, UnverifiedReport
from buzon.mail.inbound.imap import read_once
from buzon.mail.inbound.mailboxes import parse_url, sync_settings_rows
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.smtpd import InboundServer
from buzon.mail.relay import RelayConfig, SmtpRelay
from buzon.mail.sandbox import Sandbox, SandboxHandler
from buzon.mail.verp import verify_copy_id
from buzon.mail.worker import Worker
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Comment, Ticket

pytestmark = live_db

ANA, CARLA, DIEGO = "ana@example.com", "carla@example.com", "diego@example.net"
_COPY = re.compile(rb"^X-Buzon-Copy: (\S+)\r\n", re.IGNORECASE | re.MULTILINE)


@pytest.fixture
def relay():
    """A sink on loopback standing in for the relay: it accepts every copy and keeps it."""
    with Sandbox("127.0.0.1", free_port(), SandboxHandler(sink=True)) as server:
        yield server


@pytest.fixture
def inbound():
    with InboundServer("127.0.0.1", free_port()) as running:
        yield running


@pytest.fixture
def copies(ticket, relay) -> dict[str, bytes]:
    """The ticket's first email (to Ana, Cc Carla and Diego), sent by the real worker:
    {recipient: the copy the relay received}."""
    transport = SmtpRelay(RelayConfig(host="127.0.0.1", port=relay.port, timeout=10))
    Worker(transport=transport, poll=0.05, batch_size=50).run(until_idle=True)
    message_id = email_of(ticket).message_id
    received = [r for r in relay.handler.received if r.message_id == message_id]
    return {rcpt: r.data for r in received for rcpt in r.rcpt_tos}


def copy_id_of(copy: bytes) -> str:
    found = _COPY.search(copy.split(b"\r\n\r\n", 1)[0])
    assert found, "no X-Buzon-Copy header"
    return found.group(1).decode()


def gmail_dsn(copy: bytes, *recipients: str, returned: str = "message/rfc822") -> bytes:
    """A bounce as Gmail writes it when it relayed for support@ (its envelope sender
    rewritten to the account): to the support address, From its mailer daemon, the
    returned message attached. No return path, no envelope id."""
    boundary = secrets.token_hex(12)
    original = copy if returned == "message/rfc822" else copy.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    message_id = re.search(rb"(?im)^Message-ID: (<[^>]+>)", copy).group(1).decode()
    human = "".join(
        f"Your message wasn't delivered to {r} because the address couldn't be found, "
        "or is unable to receive mail.\r\n\r\n"
        for r in recipients
    )
    fields = "".join(
        f"Final-Recipient: rfc822; {r}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Remote-MTA: dns; mx.{r.rpartition('@')[2]}. (192.0.2.10, the server for the "
        f"domain {r.rpartition('@')[2]}.)\r\n"
        f"Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\r\n"
        f" not exist. <{r}>: Recipient address rejected: User unknown\r\n"
        f"Last-Attempt-Date: {formatdate()}\r\n\r\n"
        for r in recipients
    )
    text = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
        "To: support@helpdesk.test\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        f"References: {message_id}\r\n"
        f"In-Reply-To: {message_id}\r\n"
        f"X-Failed-Recipients: {', '.join(recipients)}\r\n"
        f"Message-ID: <{secrets.token_hex(12)}@mx.google.com>\r\n"
        f"Date: {formatdate()}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; boundary="{boundary}"; '
        "report-type=delivery-status\r\n\r\n"
        f"--{boundary}\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"** Address not found **\r\n\r\n{human}"
        "Learn more here: https://support.google.com/mail/?p=NoSuchUser\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; googlemail.com\r\n"
        "Received-From-MTA: dns; support@helpdesk.test\r\n"
        f"Arrival-Date: {formatdate()}\r\n"
        f"X-Original-Message-ID: {message_id}\r\n\r\n"
        f"{fields}"
        f"--{boundary}\r\n"
        f"Content-Type: {returned}\r\n\r\n"
    )
    return text.encode() + original + f"\r\n--{boundary}--\r\n".encode()


def send(server: InboundServer, raw: bytes, mail_from: str = "") -> InboundMessage:
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as smtp:
        smtp.ehlo("mail-sor-f41.google.com")
        smtp.mail(mail_from)
        assert smtp.rcpt("support@helpdesk.test")[0] == 250
        assert smtp.data(raw)[0] == 250
    process_all()
    return InboundMessage.objects.order_by("-id").first()


def delivery(ticket: Ticket, address: str) -> Delivery:
    return Delivery.objects.get(email_notification=email_of(ticket), email=address)


def states(ticket: Ticket) -> dict[str, str]:
    return {d.email: d.state for d in Delivery.objects.filter(email_notification=email_of(ticket))}


# ------------------------------------------------------------------------ the copies


def test_each_recipient_s_copy_carries_an_id_signed_for_that_recipient_only(ticket, copies):
    email = email_of(ticket)
    kinds = {d.email: d.kind for d in email.deliveries.all()}
    assert sorted(copies) == sorted(kinds) == sorted([ANA, CARLA, DIEGO])
    assert kinds[ANA] == "to" and kinds[CARLA] == "cc"
    ids = {rcpt: copy_id_of(copy) for rcpt, copy in copies.items()}
    assert len(set(ids.values())) == 3
    for rcpt, value in ids.items():
        assert verify_copy_id(value, rcpt) == delivery(ticket, rcpt).return_token
        for other in {ANA, CARLA, DIEGO} - {rcpt}:
            assert verify_copy_id(value, other) is None
    # Only that line differs: the stored message (and its one DKIM signature) is intact.
    for rcpt, copy in copies.items():
        header = f"X-Buzon-Copy: {ids[rcpt]}\r\n".encode()
        assert copy.rstrip(b"\r\n") == (header + email.raw_message.encode()).rstrip(b"\r\n")


# ---------------------------------------------------------------------------- bounces


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_a_gmail_bounce_in_the_support_mailbox_fails_that_one_delivery(
    ticket, copies, inbound, returned
):
    row = send(inbound, gmail_dsn(copies[ANA], ANA, returned=returned))
    assert (row.state, row.outcome) == ("processed", "recorded")
    assert "copy id signed for the recipient" in row.detail
    ana = delivery(ticket, ANA)
    assert (ana.state, ana.failure_source, ana.reply_code, ana.enhanced_status) == (
        "failed", "dsn", 550, "5.1.1",
    )  # fmt: skip
    assert (ana.reason, ana.blame) == ("userunknown", "address")
    assert "The email account that you tried to reach does not exist" in ana.diagnostic
    assert states(ticket)[CARLA] == states(ticket)[DIEGO] == "handed_off"
    assert FAILURE_TAG in Ticket.objects.get(pk=ticket.pk).tag_list
    assert not UnverifiedReport.objects.exists()


def test_a_cc_customer_cannot_fail_another_recipient_with_their_own_copy(ticket, copies, inbound):
    # Carla saw Ana in To: she writes a Gmail-like bounce about Ana around her own copy.
    before = states(ticket)
    row = send(inbound, gmail_dsn(copies[CARLA], ANA), mail_from="carla@example.com")
    assert (row.state, row.outcome) == ("processed", "unverified_report")
    assert states(ticket) == before
    assert FAILURE_TAG not in Ticket.objects.get(pk=ticket.pk).tag_list
    (report,) = UnverifiedReport.objects.all()
    assert report.delivery_id == delivery(ticket, ANA).pk and report.accepted_at is None


@pytest.mark.parametrize("damage", ["signature", "token"])
def test_a_tampered_copy_id_is_an_unverified_report(ticket, copies, inbound, damage):
    value = copy_id_of(copies[ANA])
    token, signature = value.split("-")
    if damage == "signature":
        forged = f"{token}-{signature[:-1]}{'a' if signature[-1] != 'a' else 'b'}"
    else:
        forged = f"{delivery(ticket, CARLA).return_token}-{signature}"
    copy = copies[ANA].replace(value.encode(), forged.encode(), 1)
    before = states(ticket)
    row = send(inbound, gmail_dsn(copy, ANA))
    assert row.outcome == "unverified_report"
    assert states(ticket) == before
    assert UnverifiedReport.objects.get().delivery_id == delivery(ticket, ANA).pk


def test_a_report_naming_several_recipients_fails_only_the_copy_it_returns(ticket, copies, inbound):
    row = send(inbound, gmail_dsn(copies[ANA], ANA, CARLA))
    assert row.outcome == "recorded"
    assert states(ticket) == {ANA: "failed", CARLA: "handed_off", DIEGO: "handed_off"}
    (report,) = UnverifiedReport.objects.all()
    assert report.delivery_id == delivery(ticket, CARLA).pk


def test_a_bounce_of_mail_sent_before_copy_ids_is_an_unverified_report(ticket, copies, inbound):
    old_copy = copies[ANA].split(b"\r\n", 1)[1]  # as sent before copies carried an id
    assert b"X-Buzon-Copy" not in old_copy
    before = states(ticket)
    row = send(inbound, gmail_dsn(old_copy, ANA))
    assert row.outcome == "unverified_report" and "returned Message-ID" in row.detail
    assert states(ticket) == before
    assert UnverifiedReport.objects.get().delivery_id == delivery(ticket, ANA).pk


@pytest.mark.skipif(not available(), reason=REASON)
def test_a_gmail_bounce_read_from_the_imap_mailbox_fails_that_one_delivery(ticket, copies):
    bounce = b"Return-Path: <>\r\nDelivered-To: support@helpdesk.test\r\n" + gmail_dsn(
        copies[DIEGO], DIEGO
    )
    with Dovecot() as dovecot:
        dovecot.append(bounce)
        config = parse_url(dovecot.url)
        read_once(sync_settings_rows([config])[config.key], config)
    process_all()
    row = InboundMessage.objects.get()
    assert row.rcpt_tos == ["support@helpdesk.test"] and row.outcome == "recorded"
    assert states(ticket) == {ANA: "handed_off", CARLA: "handed_off", DIEGO: "failed"}
    assert delivery(ticket, DIEGO).reason == "userunknown"


# -------------------------------------------------------------------------- threading


def test_a_reply_to_any_copy_threads_into_the_ticket(ticket, copies, inbound):
    copy_message_id = re.search(rb"(?im)^Message-ID: <([^>]+)>", copies[CARLA]).group(1)
    raw = message(
        sender=f"Carla CC <{CARLA}>",
        subject="Re: la factura",  # no encoded id: only the threading headers tell
        body="Gracias.",
        headers={"In-Reply-To": f"<{copy_message_id.decode()}>"},
    )
    row = send(inbound, raw, mail_from=CARLA)
    assert row.ticket_id == ticket.pk and "In-Reply-To" in row.detail
    assert Comment.objects.filter(ticket=ticket, body__contains="Gracias.").exists()
