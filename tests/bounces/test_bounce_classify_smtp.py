"""classify() gives the right reason class to the SMTP answers our own client gets."""

import pytest

from buzon_bounces import classify, smtp
from buzon_bounces.reasons import REASONS


@pytest.mark.parametrize(
    ("status", "code", "text", "command", "reason", "hard"),
    [
        ("5.1.1", 550, "User unknown in virtual mailbox table", "RCPT", "userunknown", True),
        ("", 550, "No such user here", "RCPT", "userunknown", True),
        ("5.1.10", 556, "Domain has null MX", "RCPT", "notaccept", True),
        ("", 521, "does not accept mail", "RCPT", "notaccept", True),
        ("5.2.2", 552, "Mailbox full", "RCPT", "mailboxfull", False),
        ("4.2.2", 452, "Mailbox over quota", "RCPT", "mailboxfull", False),
        ("5.3.4", 552, "Message size exceeds fixed maximum", "DATA", "mesgtoobig", False),
        ("", 552, "Error: message size exceeds fixed maximum message size", "MAIL",
         "mesgtoobig", False),
        ("5.7.1", 550, "Message rejected as spam by content filter", "DATA", "spamdetected",
         False),
        ("5.7.1", 554, "Client host rejected: listed at zen.spamhaus.org", "RCPT",
         "blocked", False),
        ("5.7.1", 550, "Relay access denied", "RCPT", "norelaying", False),
        ("4.7.1", 451, "Greylisted, please try again later", "RCPT", "blocked", False),
        ("5.7.26", 550, "Unauthenticated email is not accepted (DMARC)", "DATA",
         "authfailure", False),
        ("", 421, "Too many connections", "CONNECT", "toomanyconn", False),
        ("", 550, "550 5.7.23 Message rejected by the receiving policy", "DATA",
         "authfailure", False),
        ("", 550, "550 5.7.509 Access denied, sending domain example.test does not pass",
         "DATA", "authfailure", False),
        ("5.7.25", 550, "The sending address has no PTR record", "CONNECT", "requireptr",
         False),
        ("", 501, "Syntax error in parameters", "RCPT", "syntaxerror", False),
        ("", 599, "something odd", "DATA", "onhold", False),  # too little to decide
    ],
)  # fmt: skip
def test_common_answers_get_their_reason(status, code, text, command, reason, hard):
    assert classify(status, code, text, None, command)[:2] == (reason, hard)
    assert reason in REASONS


def test_a_temporary_answer_is_never_hard():
    assert classify("4.1.1", 450, "user unknown (temporarily)", None, "RCPT")[1] is False


@pytest.mark.parametrize(
    ("status", "code", "text", "command", "reason", "hard"),
    [
        # A DNS server that did not answer is not a domain that does not exist.
        ("", "", "Name service error for domain mx.example.test: Host not found, try again",
         "", "networkerror", False),
        ("", "", "Host or domain name not found. Name service error for name=x.test type=A: "
         "Host not found", "", "hostunknown", True),
        ("5.4.316", 550, "Message expired, DNS query failed", "", "networkerror", False),
        ("4.4.3", 451, "Temporary failure in name resolution", "", "networkerror", False),
        # Postfix's bare refusal at RCPT TO; the same words after DATA say nothing of a mailbox.
        ("5.0.0", 550, "<someone@example.test>: Recipient address rejected.", "RCPT",
         "userunknown", True),
        ("", 550, "Sorry, your envelope recipient has been denied", "RCPT", "userunknown",
         True),
        ("", 550, "This email address is wrong or no longer in use", "RCPT", "userunknown",
         True),
        # A receiving-rate limit is speeding, whatever the mailbox status says.
        ("5.2.1", 550, "The mailbox you wrote to is receiving mail at a rate that does not "
         "allow more messages", "RCPT", "speeding", False),
        ("4.7.1", 451, "Client host rejected: please try again slower", "RCPT", "speeding",
         False),
        # x.3.0 is the destination mail system's own trouble.
        ("4.3.0", 451, "Your message could not be processed now. Please try again later",
         "DATA", "systemerror", False),
        ("", 451, "Unable to connect to the filtering daemon", "DATA", "systemerror",
         False),
        # Exchange Online's directory check: the address is unknown, whatever the stage.
        ("5.4.1", 550, "Recipient address rejected: Access denied. [XX1PR01.mail.example.test]",
         "", "userunknown", True),
        ("5.2.0", 550, "Message Filtered", "DATA", "filtered", False),
        ("", 550, "The user refuses to receive this mail", "DATA", "filtered", False),
    ],
)  # fmt: skip
def test_wordings_learnt_from_unseen_bounces(status, code, text, command, reason, hard):
    assert classify(status, code, text, None, command)[:2] == (reason, hard)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("550: 5.2.2 <box@example.test>... Mailbox Full", "550"),
        ("<box@example.test>: 550: : User unknown", "550"),
        ("host mx.example.test [192.0.2.1]: 550 : User unknown", "550"),
        ("501: 5.1.8 Sender address rejected", "501"),
        ("connect to mx.example.test port 465: Connection refused", ""),
        ("delivery took 421: seconds", ""),
    ],
)
def test_reply_code_followed_by_a_colon(text, code):
    assert smtp.find_reply_code(text) == code


def test_a_wrapped_remote_reply_wins_over_a_class_disagreeing_summary():
    text = "554 4.4.7 Message expired: unable to deliver in 900 minutes.<421 4.4.2 Timed out>"
    assert smtp.find_status(text) == "4.4.2"
    assert smtp.reply_code_before(text, "4.4.2") == "421"
    assert smtp.reply_code_before(text, "4.4.7") == ""
    assert smtp.find_status("550 5.1.1 <a@b.test>: User unknown") == "5.1.1"


@pytest.mark.parametrize(
    ("status", "code", "text", "command", "reason", "hard"),
    [
        # A limit on connections is toomanyconn, even under "not accepting messages".
        ("4.3.2", 452, "4.3.2 Connection rate limit exceeded, come back later", "MAIL",
         "toomanyconn", False),
        ("", 421, "Connection count limit reached for your network", "CONN",
         "toomanyconn", False),
        # Status and text both say the host is unknown: not a refusal of all mail.
        ("5.1.2", 550, "<a@b.test>... Host unknown (Name server: .: host not found)", "",
         "hostunknown", True),
        # A routing loop is a network fault, whatever "mail loop" the text guesses.
        ("5.4.6", 554, "Hop count exceeded - possible mail loop", "DATA", "networkerror",
         False),
        # A repeated header is the message's form, even when the header is DKIM's.
        ("", 554, "Transaction failed: Duplicate header 'DKIM-Signature'.", "DATA",
         "notcompliantrfc", False),
        ("5.7.1", 550, "DKIM signature did not verify", "DATA", "authfailure", False),
        # Exchange Online's connector codes name the network failure behind an expiry.
        ("5.4.316", 550, "5.4.316 Message expired, connection refused", "", "networkerror",
         False),
        ("4.4.312", 450, "4.4.312 DNS query failed", "", "networkerror", False),
    ],
)  # fmt: skip
def test_wordings_of_the_last_round(status, code, text, command, reason, hard):
    assert classify(status, code, text, None, command)[:2] == (reason, hard)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # A bare "550 blocked" names the block, not the mailbox.
        ("host mx.example.test said: 550 blocked (in reply to RCPT TO command)", "blocked"),
        # A refusal that names our sending address's IP is a block of that IP.
        ("Mail from 192.0.2.7 refused, see the postmaster page", "blocked"),
        # RFC 3463: X.1.6 "Destination mailbox has moved, No forwarding address".
        ("said: 550 5.1.6 recipient is no longer on this server", "hasmoved"),
    ],
)
def test_pattern_rules_match_text_with_no_status_given(text, reason):
    assert classify("", "", text, None, "")[0] == reason
