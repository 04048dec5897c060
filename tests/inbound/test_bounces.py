"""Bounces find their delivery (signed return path, envelope id, returned Message-ID
and recipient); only authentic ones (signed return path or envelope id, trusted
reporter) go through the one failure-recording path, the others are kept on the
delivery as unverified reports; what matches nothing, or carries a forged token,
changes nothing and is kept as unmatched."""

from __future__ import annotations

import pytest
from inboundmail import dsn, email_of, ingest

from buzon.deliveries.models import Delivery, DeliveryEvent, Suppression, UnverifiedReport
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound.models import InboundMessage, UnmatchedBounce
from buzon.mail.verp import envelope_id, return_path
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import AuditEvent, EventType, UserIdentity


@pytest.fixture
def ana(ticket) -> Delivery:
    """Ana's copy of the ticket's notification, handed off to the relay."""
    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    return Delivery.objects.get(ticket=ticket, email="ana@example.com")


def snapshot(ticket):
    return (
        list(Delivery.objects.filter(ticket=ticket).values_list("state", flat=True)),
        AuditEvent.objects.filter(audit__ticket=ticket).count(),
        DeliveryEvent.objects.count(),
        ticket.tags.count(),
    )


def test_a_dsn_to_the_signed_return_path_fails_the_right_recipient(ana, ticket):
    row = ingest(dsn(ana), "", [return_path(ana.return_token)])
    assert (row.state, row.kind, row.outcome) == ("processed", "bounce", "recorded")
    assert row.delivery_ids == [ana.pk] and row.ticket_id == ticket.pk
    ana.refresh_from_db()
    assert ana.state == "failed" and ana.failure_source == "dsn"
    assert (ana.reply_code, ana.enhanced_status, ana.reason, ana.hard) == (
        550, "5.1.1", "userunknown", True,
    )  # fmt: skip
    assert ana.zendesk_status_name == "USER_DOES_NOT_EXIST"
    others = Delivery.objects.filter(ticket=ticket).exclude(pk=ana.pk)
    assert set(others.values_list("state", flat=True)) == {"handed_off"}
    assert FAILURE_TAG in ticket.tag_list
    event = AuditEvent.objects.get(audit__ticket=ticket, type=EventType.DELIVERY_FAILURE)
    assert event.data["trigger"]["title"] == "Notify requester of new proactive ticket"
    assert event.data["recipient"]["email"] == "ana@example.com"
    assert "signed return path" in row.detail


def test_the_same_bounce_twice_changes_nothing(ana, ticket):
    raw = dsn(ana)
    ingest(raw, "", [return_path(ana.return_token)])
    before = snapshot(ticket)
    again = ingest(raw + b"\r\n", "", [return_path(ana.return_token)])
    assert again.outcome == "duplicate" and snapshot(ticket) == before


def test_a_delayed_report_leaves_the_delivery_deferred(ana, ticket):
    row = ingest(
        dsn(ana, stage="DELAY", code=451, status="4.4.1", text="Connection timed out"),
        "",
        [return_path(ana.return_token)],
    )
    ana.refresh_from_db()
    assert row.kind == "delay" and ana.state == "deferred" and ana.failed_at is None
    assert ana.events.filter(kind="delayed").count() == 1
    assert FAILURE_TAG not in ticket.tag_list


def test_a_tampered_token_changes_nothing_and_is_kept_as_unmatched(ana, ticket):
    good = return_path(ana.return_token)
    local, domain = good.split("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    before = snapshot(ticket)
    row = ingest(dsn(ana), "", [forged])
    assert (row.state, row.outcome) == ("unmatched", "unmatched")
    assert "signature is not ours" in row.detail
    assert snapshot(ticket) == before  # even though the Message-ID would match
    assert list(UnmatchedBounce.objects.all()) == [UnmatchedBounce.objects.get(pk=row.pk)]
    assert bytes(row.raw) == bytes(InboundMessage.objects.get(pk=row.pk).raw)


def unchanged(ana, ticket, before) -> None:
    """Nothing about the delivery, the ticket or the address moved."""
    ana.refresh_from_db()
    assert ana.state == "handed_off" and ana.blame == "" and ana.failed_at is None
    assert snapshot(ticket) == before
    assert not Suppression.objects.exists()
    identity = UserIdentity.objects.get(value="ana@example.com")
    assert (identity.deliverable_state, identity.undeliverable_count) == ("deliverable", 0)


def test_a_bounce_without_a_token_is_only_an_unverified_report(ana, ticket):
    before = snapshot(ticket)
    row = ingest(dsn(ana), "", ["support@helpdesk.test"])
    assert (row.state, row.outcome) == ("processed", "unverified_report")
    assert "returned Message-ID and recipient" in row.detail and row.delivery_ids == [ana.pk]
    unchanged(ana, ticket, before)
    (report,) = UnverifiedReport.objects.filter(delivery=ana)
    assert (report.reply_code, report.enhanced_status, report.blame) == (550, "5.1.1", "address")
    assert report.matched_by == "returned Message-ID and recipient"
    assert report.inbound_message_id == row.pk and report.accepted_at is None


def test_the_same_unverified_report_twice_is_kept_once(ana, ticket):
    raw = dsn(ana)
    ingest(raw, "", ["support@helpdesk.test"])
    ingest(raw + b"\r\n", "", ["postmaster@helpdesk.test"])
    assert UnverifiedReport.objects.filter(delivery=ana).count() == 1


def test_a_signed_envelope_id_matches_when_the_return_path_is_lost(ana, ticket):
    raw = with_envelope_id(dsn(ana), envelope_id(ana.return_token), ticket)
    row = ingest(raw, "", ["postmaster@helpdesk.test"])
    ana.refresh_from_db()
    assert ana.state == "failed" and "signed envelope id" in row.detail
    assert ana.blame == "address" and Suppression.objects.filter(address=ana.email).exists()


def test_an_unsigned_envelope_id_is_only_an_unverified_report(ana, ticket):
    before = snapshot(ticket)
    raw = with_envelope_id(dsn(ana), ana.return_token, ticket)  # what mail in flight carries
    row = ingest(raw, "", ["postmaster@helpdesk.test"])
    assert row.outcome == "unverified_report" and "unsigned envelope id" in row.detail
    unchanged(ana, ticket, before)
    assert UnverifiedReport.objects.get(delivery=ana).matched_by == "unsigned envelope id"


def test_an_envelope_id_signed_by_someone_else_changes_nothing(ana, ticket):
    before = snapshot(ticket)
    forged = ana.return_token + "-" + "a" * 16
    row = ingest(with_envelope_id(dsn(ana), forged, ticket), "", ["postmaster@helpdesk.test"])
    assert row.state == "unmatched" and "signature is not ours" in row.detail
    unchanged(ana, ticket, before)
    assert not UnverifiedReport.objects.exists()


def test_a_report_from_a_trusted_connecting_address_is_recorded(ana, ticket, settings):
    settings.INBOUND_TRUSTED_REPORTER_NETWORKS = ["192.0.2.0/24"]
    row = ingest(dsn(ana), "", ["support@helpdesk.test"], peer="192.0.2.25 (mta.example.com)")
    ana.refresh_from_db()
    assert row.outcome == "recorded" and ana.state == "failed"
    assert "trusted reporter (connecting address 192.0.2.25)" in row.detail
    other = ingest(dsn(ana, recipient="carla@example.com"), "", ["support@helpdesk.test"],
                   peer="198.51.100.7 (mta.example.com)")  # fmt: skip
    assert other.outcome in ("unverified_report", "unmatched")


AUTH = "Authentication-Results: mx.helpdesk.test; dkim=pass header.d={d} header.s=s1\r\n"


@pytest.mark.parametrize(
    ("signed_by", "recorded"),
    [("relay.partner.example", True), ("evil.example", False), (None, False)],
)
def test_a_report_signed_by_a_trusted_domain_is_recorded(
    ana, ticket, settings, signed_by, recorded
):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"
    settings.INBOUND_TRUSTED_REPORTER_DOMAINS = ["partner.example"]
    raw = dsn(ana).replace(
        b"From: ", b"From: MAILER-DAEMON@relay.partner.example\r\nX-Old-From: ", 1
    )
    if signed_by:
        raw = AUTH.format(d=signed_by).encode() + raw
    row = ingest(raw, "", ["support@helpdesk.test"])
    ana.refresh_from_db()
    assert (ana.state == "failed") is recorded
    assert row.outcome == ("recorded" if recorded else "unverified_report")


def with_envelope_id(raw: bytes, envid: str, ticket) -> bytes:
    """The report with this Original-Envelope-Id and no matching Message-ID."""
    raw = raw.replace(
        b"Reporting-MTA: dns; sandbox.buzon.test\r\n",
        b"Reporting-MTA: dns; sandbox.buzon.test\r\nOriginal-Envelope-Id: "
        + envid.encode()
        + b"\r\n",
    )
    return raw.replace(email_of(ticket).message_id.encode(), b"someone-else@example.org")


def test_a_bounce_about_mail_we_never_sent_is_unmatched(ana, ticket):
    raw = dsn(ana, recipient="nobody@else.example").replace(
        email_of(ticket).message_id.encode(), b"not-ours@example.org"
    )
    before = snapshot(ticket)
    row = ingest(raw, "", ["support@helpdesk.test"])
    assert row.state == "unmatched" and snapshot(ticket) == before
    assert "matches anything we sent" in row.detail


def test_a_mailer_daemon_message_we_cannot_read_never_opens_a_ticket(db):
    from inboundmail import message

    from buzon.tickets.models import Ticket

    raw = message(sender="MAILER-DAEMON@mx.example.org", subject="Warning", body="something odd")
    row = ingest(raw, "")
    assert row.state == "unmatched" and not Ticket.objects.exists()


ARF = """From: abuse-reports@isp.example
To: {to}
Subject: FW: complaint
Message-ID: <arf-1@isp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b1"

--b1
Content-Type: text/plain

This is an email abuse report.

--b1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Mail-From: <{rp}>
Original-Rcpt-To: <{rcpt}>

--b1
Content-Type: message/rfc822

{original}
--b1--
"""


def test_an_arf_complaint_marks_the_address_and_the_ticket_without_failing(ana, ticket):
    original = email_of(ticket).raw_message.replace("\r\n", "\n")
    raw = ARF.format(
        to=return_path(ana.return_token), rp=return_path(ana.return_token), rcpt=ana.email,
        original=original,
    ).encode()  # fmt: skip
    row = ingest(raw, "", [return_path(ana.return_token)])
    ana.refresh_from_db()
    assert row.kind == "complaint" and row.outcome == "recorded"
    assert ana.state == "handed_off"  # nothing failed
    assert ana.events.filter(kind="complaint").exists()
    assert Suppression.objects.get(address="ana@example.com").reason == "feedback"
    event = AuditEvent.objects.get(audit__ticket=ticket, type=EventType.DELIVERY_COMPLAINT)
    assert event.data["feedback_type"] == "abuse"
    assert FAILURE_TAG not in ticket.tag_list


def test_the_complaint_shows_in_the_events_log(ana, ticket, agent, client):
    original = email_of(ticket).raw_message.replace("\r\n", "\n")
    rp = return_path(ana.return_token)
    ingest(ARF.format(to=rp, rp=rp, rcpt=ana.email, original=original).encode(), "", [rp])
    client.force_login(agent)
    html = client.get(f"/tickets/{ticket.pk}/events/").content.decode()
    assert "Spam complaint" in html and "ana@example.com" in html


def test_a_person_forwarding_a_bounce_is_asking_a_question_not_reporting(db):
    from pathlib import Path

    sample = Path(__file__).parents[1] / "bounces" / "samples" / "forwarded-postfix-bounce.eml"
    row = ingest(sample.read_bytes(), "wendy@sender.test")
    assert (row.state, row.kind, row.outcome) == ("processed", "reply", "new_ticket")
    from buzon.tickets.models import Ticket

    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.comments.get().body.startswith("Hi, my mail to Xavier keeps coming back")
