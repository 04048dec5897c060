"""Any subject, any name: the message builder takes every string a ticket can hold —
malformed encoded words, lone surrogates, control characters, very long words,
right-to-left marks — and a strict parser reads back the same text."""

from __future__ import annotations

import json
import re
import smtplib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import getaddresses

import pytest
from api.apihelpers import api_for
from helpers import free_port
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mailhelpers import live_db, start_worker

from buzon.deliveries.models import Delivery
from buzon.mail import outbound
from buzon.mail.inbound.processor import InboundProcessor
from buzon.mail.inbound.smtpd import InboundServer
from buzon.tickets.models import Role, Ticket, User

TRICKY = [
    "ñandú =?utf-8?b?/w==?=",  # a malformed encoded word after non-ASCII text
    "=?utf-8?q?looks_encoded?=",  # a well-formed one: it must stay literal
    "half \ud800 a lone surrogate",
    "ctrl\x00\x01\x1b[31m\x7f\x85 chars",
    "\u200fשלום\u200e and مرحبا with RTL marks",
    "x" * 300,
    "ñ" * 300,
    "word " * 200,
    '"quoted", (commented) <angled> @ ; : \\ back',
    "emoji 👩‍💻 and combining e\u0301",
    "",
]
any_text = st.one_of(st.text(max_size=400), st.sampled_from(TRICKY))


def draft(subject: str, name: str, body: str) -> outbound.Draft:
    return outbound.Draft(
        message_id="abc.123@helpdesk.test",
        subject=subject,
        text=body,
        html=outbound.html_from_text(body),
        from_name=name,
        support_address="support@helpdesk.test",
        to=[outbound.Party(name, "ana@example.com")],
        cc=[outbound.Party(subject, "carla@example.com"), outbound.Party("", "d@example.net")],
        in_reply_to="",
        references=[],
        encoded_id="ABC123-DEF4",
        date=datetime(2025, 1, 1, tzinfo=UTC),
    )


def strictly(raw: bytes):
    """The message as Python's strict parser reads it: any defect, in the message, a
    part or a header field, fails."""
    message = message_from_bytes(raw, policy=policy.strict)
    for part in message.walk():
        assert part.defects == []
        for name, value in part.items():
            assert value.defects == (), (name, value.defects)
    return message


def display_names(raw: bytes, field: str) -> list[str]:
    """The display names of an address field read as RFC 2047 says (6.2: whitespace
    between adjacent encoded words is ignored). Python's structured parser keeps that
    whitespace in phrases, unlike mail clients, so names are read with the standard
    library's RFC 2047 decoder instead."""
    value = message_from_bytes(raw, policy=policy.compat32)[field]
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value)
    return [str(make_header(decode_header(name))) for name, _ in getaddresses([unfolded])]


@settings(max_examples=300, deadline=None)
@given(subject=any_text, name=any_text, body=any_text)
@example(subject=TRICKY[0], name=TRICKY[0], body=TRICKY[0])
@example(subject=TRICKY[1], name=TRICKY[1], body="\ud800")
def test_any_subject_name_and_body_build_a_message_read_back_the_same(subject, name, body):
    raw = outbound.build(draft(subject, name, body))
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = strictly(raw)
    assert message["Subject"] == outbound.header_text(subject)
    assert message["X-Buzon-Ticket-Id"] == "ABC123-DEF4"
    assert [a.addr_spec for a in message["To"].addresses] == ["ana@example.com"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["carla@example.com", "d@example.net"]
    assert [a.addr_spec for a in message["From"].addresses] == ["support@helpdesk.test"]
    shown = outbound.header_text(name, outbound.MAX_NAME)
    assert display_names(raw, "To") == [shown]
    assert display_names(raw, "From") == [shown] if shown else True
    assert display_names(raw, "Cc") == [outbound.header_text(subject, outbound.MAX_NAME), ""]
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text == outbound.body_text(body).rstrip() + "\n\n[ABC123-DEF4]\n"


def test_short_names_read_back_the_same_with_pythons_structured_parser_too():
    for name in ("Núria Peñalver Güell", "Alicia Agent (Buzón Demo)", 'Smith, "Jo"', "=?x?="):
        raw = outbound.build(draft("Hola", name, "Hola"))
        assert strictly(raw)["To"].addresses[0].display_name == name


# ------------------------------------------------------------------ end to end


def received(sandbox) -> list:
    return [message_from_bytes(r.data, policy=policy.strict) for r in sandbox.handler.received]


@live_db
@pytest.mark.slow
def test_a_subject_and_name_from_the_api_reach_every_recipient(sandbox):
    agent = User.objects.create_user("alicia@helpdesk.test", "Alicia", role=Role.AGENT)
    api = api_for(agent)
    subject = "ñandú =?utf-8?b?/w==?= \u200f" + "x" * 120
    response = api.client.post(
        "/api/v2/tickets.json",
        json.dumps(
            {
                "ticket": {
                    "subject": subject,
                    "requester": {"email": "ana@example.com", "name": "Ana =?utf-8?q?=FF?="},
                    "email_ccs": [{"user_email": "carla@example.com", "user_name": "Carla\u202e"}],
                    "comment": {"body": "Hola =?utf-8?b?/w==?="},
                }
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=api.auth,
    )
    assert response.status_code == 201, response.content[:300]
    ticket = Ticket.objects.get()
    process = start_worker(sandbox, "--until-idle")
    assert process.wait(timeout=120) == 0, process.stdout.read()
    states = set(Delivery.objects.filter(ticket=ticket).values_list("state", flat=True))
    assert states == {"handed_off"}
    assert not ticket.tags.filter(name="system_email_notification_failure").exists()
    messages = received(sandbox)
    assert messages and {m["Subject"] for m in messages} == {outbound.header_text(subject)}
    names = display_names(sandbox.handler.received[0].data, "To")
    assert names == ["Ana =?utf-8?q?=FF?="]


@live_db
@pytest.mark.slow
def test_a_subject_from_an_inbound_email_reaches_the_requester(sandbox):
    raw = (
        b"From: =?utf-8?q?=C3=91and=C3=BA?= <nandu@example.com>\r\n"
        b"To: support@helpdesk.test\r\n"
        b"Subject: =?utf-8?q?=C3=B1and=C3=BA?= =?utf-8?b?/w==?= \xff\xfe raw\r\n"
        b"Message-ID: <any-subject@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHola\r\n"
    )
    with InboundServer(port=free_port()) as server, smtplib.SMTP("127.0.0.1", server.port) as c:
        c.sendmail("nandu@example.com", ["support@helpdesk.test"], raw)
    processor = InboundProcessor("test")
    while processor.run_batch():
        pass
    ticket = Ticket.objects.get()
    process = start_worker(sandbox, "--until-idle")
    assert process.wait(timeout=120) == 0, process.stdout.read()
    deliveries = Delivery.objects.filter(ticket=ticket)
    assert deliveries.exists() and set(deliveries.values_list("state", flat=True)) == {"handed_off"}
    (message,) = received(sandbox)
    assert outbound.header_text(ticket.subject) in message["Subject"]
