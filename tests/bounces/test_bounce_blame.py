"""Every record and every `classify` verdict says who must act on the failure.

One case per rule of `buzon_bounces.blame.decide`: what the status code says about a
side, what the SMTP stage rules out, and the wording families within a reason.
"""

from __future__ import annotations

import pytest

from buzon_bounces import classify, parse
from buzon_bounces.blame import BLAMES, OURS, decide


@pytest.mark.parametrize(
    ("args", "blame"),
    [
        (
            ("5.1.1", 550, "5.1.1 <nadie@example.com>: Recipient address rejected", None, "RCPT"),
            "address",
        ),
        (("5.2.2", 552, "Mailbox full", None, "RCPT"), "mailbox"),
        ((None, 421, "Too many connections from your host", None, "CONN"), "reputation"),
        (("5.7.1", 554, "Relay access denied", None, "RCPT"), "setup"),
    ],
)
def test_classify_says_who_must_act(args, blame) -> None:
    verdict = classify(*args)
    assert verdict.blame == blame
    assert verdict.blame in BLAMES
    assert verdict.hard == (blame == "address")


@pytest.mark.parametrize(
    ("status", "code", "command", "text", "blame"),
    [
        # A status naming our side wins over any wording.
        ("5.7.26", 550, "RCPT", "User unknown, or maybe an SPF failure", "setup"),
        ("5.1.7", 550, "RCPT", "<b@mail.example.com>: unknown user", "setup"),
        ("5.7.28", 550, "DATA", "no such user", "reputation"),
        # A status naming the recipient's address makes a vague reading the address's.
        ("5.1.1", 550, "RCPT", "<a@icloud.example>: inactive email address", "address"),
        # ... but not a refusal the provider documents as something else (GoDaddy's IB607
        # is a sending-rate limit, quoted under 5.1.1).
        ("5.1.1", 550, "RCPT", "192.0.2.1 has sent to too many recipients this hour. IB607",
         "reputation"),
        # A mailbox code makes a vague reading (a filter's "User Unknown") the mailbox's.
        ("5.2.1", 550, "DATA", "<a@example.jp>... User Unknown", "mailbox"),
        # A temporary failure is never the address's for good.
        ("4.1.1", 450, "RCPT", "<a@example.com>: Recipient address rejected: unverified",
         "unknown"),
    ],
)  # fmt: skip
def test_the_status_code_names_a_side(status, code, command, text, blame) -> None:
    assert classify(status, code, text, "smtp.secureserver.net", command).blame == blame


@pytest.mark.parametrize(
    ("command", "text", "blame"),
    [
        ("MAIL", "550 User unknown", "setup"),
        ("EHLO", "550 Host unknown", "setup"),
        ("CONN", "554 Your message looks like spam", "reputation"),
        ("RCPT", "550 User unknown", "address"),
        ("DATA", "550 User unknown in virtual alias table", "address"),
    ],
)
def test_nothing_before_rcpt_is_the_recipients(command, text, blame) -> None:
    assert classify(None, 550, text, None, command).blame == blame


@pytest.mark.parametrize(
    ("text", "blame"),
    [
        # Our envelope sender named as the thing refused (Exim's sender verification).
        ("550-Verification failed for <b@mail.example.com>\n550-Unrouteable address\n"
         "550 Sender verify failed", "setup"),
        ("<b@mail.example.com>: Sender address rejected: Domain not found", "setup"),
        # A volume of bad recipients from us.
        ("Too many invalid recipients", "reputation"),
        # The recipient's receiving rate, against ours.
        ("The user you are trying to contact is receiving mail too quickly", "mailbox"),
        ("Recipient's per hour message receive limit from specific sender exceeded",
         "reputation"),
        # An account closed for good, against one only disabled.
        ("Local mailbox a@example.com is unavailable: user is terminated", "address"),
        ("The email account that you tried to reach is disabled.", "mailbox"),
        # The recipient's own lists.
        ("IP not in whitelist for RCPT domain, closing connection.", "recipient_policy"),
        # Unsolicited mail is a verdict on our stream; spam in this message on its content.
        ("This message is likely unsolicited mail.", "reputation"),
        ("Message rejected as spam by Content Filtering", "content"),
    ],
)  # fmt: skip
def test_the_wording_family_says_whose_it_is(text, blame) -> None:
    assert classify(None, 550, text, None, "DATA").blame == blame


def test_a_provider_documenting_an_account_as_gone_makes_it_the_address() -> None:
    # Yahoo: 5xx are permanent, remove the address; Google: disabled accounts restorable.
    yahoo = classify(
        None,
        554,
        "30 Sorry, your message to a@yahoo.com cannot be delivered. "
        "This mailbox is disabled (554.30).",
        "mta5.am0.yahoodns.net",
        "DATA",
    )
    assert (yahoo.reason, yahoo.blame, yahoo.hard) == ("suspend", "address", True)
    google = classify(
        "5.2.1",
        550,
        "The email account that you tried to reach is inactive.",
        "gmail-smtp-in.l.google.com",
        "RCPT",
    )
    assert (google.reason, google.blame, google.hard) == ("suspend", "mailbox", False)


def test_records_that_are_not_failures_blame_nobody() -> None:
    for reason in ("delivered", "vacation", "feedback"):
        assert decide(reason, "5.1.1", "550", "RCPT", "user unknown") == ""
    assert {"setup", "reputation"} == OURS


SENDER_VERIFY_DSN = b"""From: MAILER-DAEMON@mx.sender.test (Mail Delivery System)
To: bounces+tok@mail.sender.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<ana@receiver.test>: host mx.receiver.test[192.0.2.1] said: 450 4.1.8
    <bounces+tok@mail.sender.test>: Sender address rejected: Domain not found
    (in reply to RCPT TO command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.test

Final-Recipient: rfc822; ana@receiver.test
Action: failed
Status: 5.1.8
Remote-MTA: dns; mx.receiver.test
Diagnostic-Code: smtp; 550 5.1.8 <bounces+tok@mail.sender.test>: Sender address
    rejected: Domain not found

--B--
"""


def test_a_dsn_refusing_our_sender_blames_our_setup_not_the_recipient() -> None:
    (record,) = parse(SENDER_VERIFY_DSN)
    assert record.recipient == "ana@receiver.test"
    assert (record.reason, record.blame, record.hard) == ("rejected", "setup", False)
