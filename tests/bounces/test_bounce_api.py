"""The public API as a caller uses it: parse, BounceRecord, classify, is_auto_reply,
original_header."""

from __future__ import annotations

import dataclasses
import email
from pathlib import Path

import pytest

from buzon_bounces import BounceRecord, classify, is_auto_reply, original_header, parse

EML = Path(__file__).parent / "corpus" / "sisimai" / "eml"

POSTFIX_DSN = b"""From: MAILER-DAEMON@mx.sender.test (Mail Delivery System)
To: alice@sender.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<bob@receiver.test>: host mx.receiver.test[192.0.2.1] said: 550 5.1.1
    <bob@receiver.test>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.test
Original-Envelope-Id: ENV-42

Final-Recipient: rfc822; bob@receiver.test
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.receiver.test
Diagnostic-Code: smtp; 550 5.1.1 <bob@receiver.test>: Recipient address
    rejected: User unknown in local recipient table

Final-Recipient: rfc822; carol@receiver.test
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 <carol@receiver.test>: Mailbox full

--B
Content-Type: message/rfc822

From: Alice <alice@sender.test>
To: bob@receiver.test
Subject: Hello there
Message-ID: <m1@sender.test>

hi
--B--
"""


def test_parse_reads_every_recipient_of_a_standard_dsn() -> None:
    records = parse(POSTFIX_DSN)
    assert [r.recipient for r in records] == ["bob@receiver.test", "carol@receiver.test"]
    bob, carol = records
    assert (bob.action, bob.status, bob.reply_code, bob.reason, bob.hard) == (
        "failed",
        "5.1.1",
        "550",
        "userunknown",
        True,
    )
    assert bob.command == "RCPT"
    assert bob.remote_mta == "mx.receiver.test"
    assert bob.reporting_mta == "mx.sender.test"
    assert bob.original_message_id == "<m1@sender.test>"
    assert bob.original_subject == "Hello there"
    assert bob.envelope_id == "ENV-42"
    assert (carol.action, carol.reason, carol.hard, carol.status) == (
        "delayed",
        "mailboxfull",
        False,
        "4.2.2",
    )


def test_original_header_reads_the_returned_message_in_each_form() -> None:
    assert original_header(POSTFIX_DSN, "subject") == "Hello there"
    headers_only = POSTFIX_DSN.replace(b"message/rfc822", b"text/rfc822-headers")
    assert original_header(headers_only, "Message-ID") == "<m1@sender.test>"
    text_only = (
        b"From: MAILER-DAEMON@mx.sender.test\nSubject: failure\n\nYour mail failed.\n\n"
        b"------ This is a copy of the message, including all the headers. ------\n"
        b"From: alice@sender.test\nX-Copy: abc\nSubject: hi\n\nbody\n"
    )
    assert original_header(text_only, "x-copy") == "abc"
    assert original_header(POSTFIX_DSN, "X-Not-There") == ""
    assert original_header(b"\xff\x00 not a message", "subject") == ""


def test_parse_accepts_an_email_message_object() -> None:
    message = email.message_from_bytes(POSTFIX_DSN)
    assert [r.recipient for r in parse(message)] == ["bob@receiver.test", "carol@receiver.test"]


@pytest.mark.parametrize(
    ("field", "status", "expected"),
    [
        ("failure", "5.3.4", "failed"),
        ("error", "5.0.0", "failed"),
        ("Failed", "5.1.1", "failed"),
        ("deferred", "4.4.1", "delayed"),
        ("delayed", "4.2.2", "delayed"),
        ("relayed", "2.0.0", "relayed"),
        ("whatever", "5.1.1", "failed"),  # unknown word: from the codes
    ],
)
def test_a_non_standard_action_field_is_normalised(field, status, expected) -> None:
    dsn = POSTFIX_DSN.replace(b"Action: failed", b"Action: " + field.encode()).replace(
        b"Status: 5.1.1", b"Status: " + status.encode()
    )
    bob = parse(dsn)[0]
    assert bob.recipient == "bob@receiver.test"
    assert bob.action == expected


def test_record_is_frozen() -> None:
    record = parse(POSTFIX_DSN)[0]
    assert isinstance(record, BounceRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.reason = "other"  # type: ignore[misc]  # the assignment must fail


def test_an_ordinary_message_is_not_a_bounce() -> None:
    plain = b"From: a@b.test\nTo: c@d.test\nSubject: lunch?\n\nSee you at noon.\n"
    assert parse(plain) == []
    assert not is_auto_reply(plain)


@pytest.mark.parametrize(
    "text",
    [
        # A person's message with a bounce-like subject word, naming addresses.
        b"From: Ana <ana@shop.test>\nTo: billing@sender.test\nSubject: error in last invoice\n\n"
        b"Your message to billing@sender.test had the wrong total; delivery to\n"
        b"bob@shop.test is planned for Monday.\n",
        # Neither sender nor subject of a bounce, and no notice sentence at the top.
        b"From: carl@courier.test\nTo: desk@sender.test\nSubject: parcel\n\n"
        b"Hello,\nwe were unable to deliver the parcel to dora@home.test today.\n",
    ],
)
def test_a_person_s_message_with_bounce_words_is_not_a_bounce(text: bytes) -> None:
    assert parse(text) == []


def test_auto_reply_gives_a_vacation_record() -> None:
    raw = (EML / "rfc3834-02.eml").read_bytes()
    assert is_auto_reply(raw)
    records = parse(raw)
    assert [(r.recipient, r.reason, r.hard) for r in records] == [
        ("nekonyaan@example.org", "vacation", False)
    ]


def test_a_bounce_is_not_an_auto_reply() -> None:
    assert not is_auto_reply(POSTFIX_DSN)


def test_arf_complaint_gives_a_feedback_record() -> None:
    records = parse((EML / "arf-01.eml").read_bytes())
    assert records and all(r.reason == "feedback" and r.feedback_type == "abuse" for r in records)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            (
                "5.1.1",
                550,
                "5.1.1 <x@y.test>: Recipient address rejected: User unknown",
                None,
                "RCPT",
            ),
            ("userunknown", True),
        ),
        ((None, "452", "4.2.2 Mailbox full", None, "RCPT"), ("mailboxfull", False)),
        (
            (
                "5.7.26",
                550,
                "Unauthenticated email from a.test is not accepted due to domain's DMARC policy",
                "gmail-smtp-in.l.google.com",
                "DATA",
            ),
            ("authfailure", False),
        ),
        (("5.1.2", 550, "Host or domain name not found", None, "RCPT"), ("hostunknown", True)),
        ((None, 421, "Too many connections from your host", None, "CONN"), ("toomanyconn", False)),
        (("5.7.1", 554, "Relay access denied", None, "RCPT"), ("norelaying", False)),
    ],
)
def test_classify_synchronous_failures(args, expected) -> None:
    assert classify(*args)[:2] == expected


def test_classify_takes_a_provider_s_wording_into_account() -> None:
    reason, hard, _blame = classify(
        "5.2.1",
        550,
        "The email account that you tried to reach is disabled.",
        remote_host="gmail-smtp-in.l.google.com",
        command="RCPT",
    )
    assert (reason, hard) == ("suspend", False)


@pytest.mark.parametrize(
    ("status", "placeholder"),
    [
        ("5.0.911", True),  # Sisimai 4/5's "no real code, this is the reason"
        ("4.9.340", True),  # newer Sisimai's form: RFC 3463 has no subject 9
        ("5.1.1", False),
        ("5.0.0", False),
        ("5.7.900", False),
    ],
)
def test_evaluation_excludes_both_forms_of_sisimai_placeholders(status, placeholder):
    from buzon_bounces.smtp import is_placeholder

    assert is_placeholder(status) is placeholder
