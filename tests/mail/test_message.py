"""The email a notification becomes: headers, parts, threading, encodings, safety."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_string, policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from buzon.deliveries.models import EmailNotification
from buzon.mail import outbound
from buzon.mail.models import Direction, MessageReference
from buzon.tickets.models import User, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket


def parse(email: EmailNotification) -> EmailMessage:
    message = message_from_string(email.raw_message, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def latest_email() -> EmailNotification:
    return EmailNotification.objects.order_by("-id").first()


def bodies(message: EmailMessage) -> tuple[str, str]:
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def assert_wire_safe(raw: str) -> None:
    assert raw.isascii()
    lines = raw.split("\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert "\n" not in raw.replace("\r\n", "")  # CRLF line ends only


def test_a_public_comment_becomes_one_multipart_email_with_the_whole_conversation_in_headers(
    ticket, agent, requester, cc_users, settings
):
    first = latest_email()
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Ya está resuelto."))
    email = latest_email()
    message = parse(email)
    assert message["From"].addresses[0].display_name == f"Alicia Agent ({settings.ACCOUNT_NAME})"
    assert message["From"].addresses[0].addr_spec == settings.SUPPORT_ADDRESS
    assert message["Reply-To"].addresses[0].addr_spec == settings.SUPPORT_ADDRESS
    assert [a.addr_spec for a in message["To"].addresses] == [requester.email]
    assert [a.addr_spec for a in message["Cc"].addresses] == [u.email for u in cc_users]
    assert message["Subject"] == f"[{settings.ACCOUNT_NAME}] Re: Factura duplicada"
    assert message["Message-ID"] == f"<{email.message_id}>"
    assert email.message_id.endswith("@" + settings.SUPPORT_ADDRESS.split("@")[1])
    assert email.message_id != first.message_id
    assert message["In-Reply-To"] == f"<{first.message_id}>"
    assert message["References"] == f"<{first.message_id}>"
    assert message["Auto-Submitted"] is None
    assert message["X-Buzon-Ticket-Id"] == ticket.encoded_id
    assert message.get_content_type() == "multipart/alternative"
    text, html = bodies(message)
    assert "Ya está resuelto." in text and text.rstrip().endswith(f"[{ticket.encoded_id}]")
    assert "Ya está resuelto." in html and f"[{ticket.encoded_id}]" in html
    assert_wire_safe(email.raw_message)


def test_spanish_subjects_and_names_are_encoded_and_read_back_unchanged(agent):
    nuria = User.objects.create_user("nuria@example.es", "Núria Peñalver Güell")
    create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "¿Dónde está mi pedido? — 15 € de más", "requester_id": nuria.pk},
        comment=CommentInput(body="Hola Núria, lo revisamos ahora mismo. ¡Gracias!"),
    )
    email = latest_email()
    message = parse(email)
    assert message["Subject"] == "¿Dónde está mi pedido? — 15 € de más"
    assert message["To"].addresses[0].display_name == "Núria Peñalver Güell"
    assert "¡Gracias!" in bodies(message)[0]
    assert "=?utf-8?" in email.raw_message  # RFC 2047 on the wire
    assert_wire_safe(email.raw_message)


def test_names_with_line_breaks_cannot_inject_headers(agent):
    eve = User.objects.create_user("eve@example.com", "Eve\r\nBcc: spy@evil.example\r\n")
    mallory = User.objects.create_user("mallory@example.com", "Mal\nX-Injected: yes")
    create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Hola", "requester_id": eve.pk, "email_cc_ids": [mallory.pk]},
        comment=CommentInput(body="Hola"),
    )
    email = latest_email()
    message = parse(email)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.com"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["mallory@example.com"]
    assert message["To"].addresses[0].display_name == "Eve Bcc: spy@evil.example"
    assert_wire_safe(email.raw_message)


def test_very_long_lines_are_wrapped_on_the_wire_and_come_back_whole(ticket, agent):
    line = "x" * 5000 + " ñ " + "y" * 3000
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body=line))
    email = latest_email()
    assert_wire_safe(email.raw_message)
    assert all(len(raw) <= 78 for raw in email.raw_message.split("\r\n"))
    assert line in bodies(parse(email))[0]


def test_an_address_that_is_not_an_address_is_left_out_of_the_headers(agent):
    broken = User.objects.create_user("not an address", "Broken")
    ok = User.objects.create_user("ok@example.com", "Okay")
    create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Hola", "requester_id": ok.pk, "email_cc_ids": [broken.pk]},
        comment=CommentInput(body="Hola"),
    )
    message = parse(latest_email())
    assert [a.addr_spec for a in message["To"].addresses] == ["ok@example.com"]
    assert message["Cc"] is None


def test_threading_follows_every_earlier_message_outbound_and_inbound(ticket, agent):
    first = latest_email()
    MessageReference.objects.create(
        ticket=ticket, message_id="reply-from-ana@mail.example.com", direction=Direction.INBOUND
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Respuesta"))
    message = parse(latest_email())
    assert message["In-Reply-To"] == "<reply-from-ana@mail.example.com>"
    assert message["References"].split() == [
        f"<{first.message_id}>",
        "<reply-from-ana@mail.example.com>",
    ]


def test_the_references_chain_keeps_the_root_and_the_latest_messages():
    ids = [f"m{i}@example.com" for i in range(60)]
    in_reply_to, references = outbound.thread_headers(ids)
    assert in_reply_to == "m59@example.com"
    assert len(references) == outbound.MAX_REFERENCES
    assert references[0] == "m0@example.com" and references[-1] == "m59@example.com"
    junk = ["ok@example.com", "bad\r\nX-Evil: 1@x", "no-at-sign", "<spaced id@x>"]
    assert outbound.thread_headers(junk) == ("ok@example.com", ["ok@example.com"])


def test_an_end_users_own_request_is_answered_in_the_accounts_name(requester, settings):
    create_ticket(
        actor=requester,
        via=Via.EMAIL,
        fields={"subject": "Ayuda"},
        comment=CommentInput(body="No puedo entrar"),
    )
    receipt = EmailNotification.objects.get(
        notification__trigger_title="Notify requester and CCs of received request"
    )
    sender = parse(receipt)["From"].addresses[0]
    assert sender.display_name == settings.ACCOUNT_NAME


printable = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(name=printable, subject=printable, body=printable)
def test_no_name_subject_or_body_breaks_the_message_or_adds_a_header(name, subject, body):
    draft = outbound.Draft(
        message_id="abc.123@helpdesk.test",
        subject=subject,
        text=body,
        html=outbound.html_from_text(body),
        from_name=name,
        support_address="support@helpdesk.test",
        to=[outbound.Party(name, "ana@example.com")],
        cc=[outbound.Party(subject, "carla@example.com")],
        in_reply_to="",
        references=[],
        encoded_id="ABC123-DEF4",
        date=datetime(2025, 1, 1, tzinfo=UTC),
    )
    raw = outbound.build(draft).decode("ascii")
    assert_wire_safe(raw)
    message = message_from_string(raw, policy=policy.default)
    assert sorted(set(message.keys())) == sorted(
        {"Date", "From", "Reply-To", "To", "Cc", "Subject", "Message-ID", "X-Buzon-Ticket-Id",
         "MIME-Version", "Content-Type"}
    )  # fmt: skip
    assert message["Subject"] == outbound.header_text(subject)
    assert [a.addr_spec for a in message["To"].addresses] == ["ana@example.com"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["carla@example.com"]
    # (Python's parser keeps the fold between two encoded words as a space; mail
    # clients do not. Compare without spaces.)
    shown = message["To"].addresses[0].display_name.replace(" ", "")
    assert shown == outbound.header_text(name, 200).replace(" ", "")
