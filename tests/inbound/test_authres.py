"""Authentication-Results (RFC 8601) from the trusted MTA: a pass counts only when it
is about the From domain; comments and quoted strings cannot fake a result."""

from __future__ import annotations

import pytest
from inboundmail import message

from buzon.mail.inbound import authres
from buzon.mail.inbound.parsing import parse


def parsed(sender: str, *results: str):
    headers = {}
    raw = message(sender=sender, headers=headers)
    head = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results)
    return parse(head + raw)


@pytest.fixture(autouse=True)
def trusted(settings):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ("mx.helpdesk.test; dmarc=pass header.from=bank.example", "pass"),
        ("mx.helpdesk.test; dkim=pass header.d=bank.example header.s=s", "pass"),
        ("mx.helpdesk.test; spf=pass smtp.mailfrom=ceo@bank.example", "pass"),
        ("mx.helpdesk.test; dkim=pass header.i=@bank.example", "pass"),
        # passes for someone else's domain say nothing about From
        ("mx.helpdesk.test; dmarc=pass header.from=evil.example", "none"),
        ("mx.helpdesk.test; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=e@evil.example",
         "none"),
        ("mx.helpdesk.test; dkim=pass header.d=example", "none"),
        ("mx.helpdesk.test; dkim=pass header.d=mail.bank.example", "none"),  # strict alignment
        # a result inside a comment or a quoted reason is not a result
        ("mx.helpdesk.test; dmarc=none (dmarc=pass header.from=bank.example)", "none"),
        ('mx.helpdesk.test; dkim=neutral reason="dkim=pass header.d=bank.example"', "none"),
        # another MTA's header (or the sender's own) is not read
        ("evil.example; dmarc=pass header.from=bank.example", "none"),
        ("mx.helpdesk.test; dmarc=fail header.from=bank.example", "fail"),
        ("mx.helpdesk.test; spf=fail smtp.mailfrom=ceo@bank.example", "fail"),
    ],
)  # fmt: skip
def test_a_pass_counts_only_for_the_from_domain(results, expected):
    assert authres.verdict(parsed("CEO <ceo@bank.example>", results))[0] == expected


def test_an_encoded_word_in_from_is_judged_by_the_real_address():
    raw = parsed(
        "x@x.example", "mx.helpdesk.test; dmarc=pass header.from=evil.example"
    ).message.as_bytes()
    raw = raw.replace(
        b"From: x@x.example", b"From: =?utf-8?q?ceo=40bank=2Eexample?= <eve@evil.example>"
    )
    forged = parse(raw)
    assert forged.from_address == "eve@evil.example" and forged.from_name == "ceo@bank.example"
    assert authres.verdict(forged)[0] == "pass"  # Eve is Eve, not the CEO


def test_dkim_pass_domains_are_read_from_the_trusted_header_only():
    p = parsed(
        "MAILER-DAEMON@relay.partner.example",
        "mx.helpdesk.test; dkim=pass header.d=relay.partner.example; dkim=fail header.d=x.example",
        "other.example; dkim=pass header.d=evil.example",
    )
    assert authres.dkim_pass_domains(p) == {"relay.partner.example"}
