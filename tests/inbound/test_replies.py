"""Replies thread into their ticket; the sender decides public comment or internal
note; the normal triggers run, and do not email the sender back."""

from __future__ import annotations

from inboundmail import email_of, ingest, message, reply

from buzon.deliveries.models import Delivery
from buzon.mail.models import Direction, MessageReference
from buzon.tickets.models import Comment, Status, Ticket, User, Via


def latest_comment(ticket: Ticket) -> Comment:
    return ticket.comments.order_by("-id").first()


def notified(comment: Comment) -> set[str]:
    return set(
        Delivery.objects.filter(email_notification__comment=comment).values_list("email", flat=True)
    )


def test_a_reply_with_in_reply_to_is_a_public_comment_and_notifies_the_others(ticket):
    row = ingest(reply(email_of(ticket), "Ana Cliente <ana@example.com>"), "ana@example.com")
    assert (row.state, row.kind, row.outcome) == ("processed", "reply", "comment")
    comment = latest_comment(ticket)
    assert row.comment_id == comment.pk and row.ticket_id == ticket.pk
    assert comment.public and comment.via == Via.EMAIL
    assert comment.author.email == "ana@example.com"
    assert comment.body == "Gracias, ya funciona."  # quoted history stripped
    assert comment.metadata["email"]["matched_by"] == "In-Reply-To"
    assert comment.metadata["auto_reply"] is False
    # "Notify requester and CCs of comment update": the CCs, not Ana herself.
    assert notified(comment) >= {"carla@example.com", "diego@example.net"}
    assert "ana@example.com" not in notified(comment)
    ref = MessageReference.objects.get(message_id=row.message_id)
    assert ref.direction == Direction.INBOUND and ref.ticket_id == ticket.pk


def test_a_reply_with_only_the_encoded_id_in_the_subject(ticket):
    raw = message(
        sender="carla@example.com",
        subject=f"Re: Factura [{ticket.encoded_id}]",
        body="Yo también la tengo duplicada.",
    )
    row = ingest(raw, "carla@example.com")
    comment = latest_comment(ticket)
    assert row.outcome == "comment" and comment.public
    assert comment.metadata["email"]["matched_by"] == "encoded id in the subject"
    assert "carla@example.com" not in notified(comment)
    assert "ana@example.com" in notified(comment)


def test_a_reply_to_the_plus_address(ticket):
    plus = f"support+id{ticket.encoded_id.replace('-', '').lower()}@helpdesk.test"
    raw = message(sender="diego@example.net", subject="otra cosa", body="Hola", to=plus)
    row = ingest(raw, "diego@example.net", [plus])
    assert row.outcome == "comment" and row.ticket_id == ticket.pk
    assert latest_comment(ticket).metadata["email"]["matched_by"] == "plus-address"


def test_the_encoded_id_in_the_quoted_body_is_enough(ticket):
    body = f"Sí.\n\n> Your request has been updated.\n> [{ticket.encoded_id}]\n"
    row = ingest(message(sender="ana@example.com", subject="sin hilo", body=body))
    assert row.ticket_id == ticket.pk
    assert latest_comment(ticket).body == "Sí."


def test_a_stranger_on_the_thread_becomes_an_internal_note(ticket):
    row = ingest(reply(email_of(ticket), "Eve <eve@elsewhere.example>"), "eve@elsewhere.example")
    comment = latest_comment(ticket)
    assert row.outcome == "internal_note" and not comment.public
    assert comment.author.email == "eve@elsewhere.example"
    assert not notified(comment) & {"ana@example.com", "carla@example.com"}


def test_an_agent_replying_by_email_comments_publicly(ticket, agent):
    row = ingest(reply(email_of(ticket), agent.email, "Lo revisamos."), agent.email)
    comment = latest_comment(ticket)
    assert row.outcome == "comment" and comment.public and comment.author == agent
    assert "ana@example.com" in notified(comment)


def test_mail_matching_no_ticket_opens_one(db):
    before = Ticket.objects.count()
    row = ingest(
        message(
            sender="Nuevo Cliente <nuevo@example.org>", subject="Ayuda", body="No puedo entrar."
        )
    )
    assert row.outcome == "new_ticket" and Ticket.objects.count() == before + 1
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.via == Via.EMAIL and ticket.subject == "Ayuda"
    assert (
        ticket.requester.email == "nuevo@example.org" and ticket.requester.name == "Nuevo Cliente"
    )
    assert User.objects.get(email="nuevo@example.org").role == "end-user"
    # A later reply threads on the Message-ID we received.
    second = ingest(
        message(sender="nuevo@example.org", subject="Re: Ayuda", body="¿Alguna novedad?",
                headers={"In-Reply-To": f"<{row.message_id}>"})
    )  # fmt: skip
    assert second.ticket_id == ticket.pk and second.outcome == "comment"


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(ticket, agent):
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    row = ingest(reply(email_of(ticket), "ana@example.com"), "ana@example.com")
    assert row.outcome == "new_ticket" and row.ticket_id != ticket.pk
    assert (
        latest_comment(Ticket.objects.get(pk=row.ticket_id)).metadata["follow_up_of"] == ticket.pk
    )


def test_the_same_reply_twice_is_one_comment(ticket):
    raw = reply(email_of(ticket), "ana@example.com")
    first = ingest(raw, "ana@example.com")
    again = ingest(raw.replace(b"Subject:", b"X-Resent: yes\nSubject:"), "ana@example.com")
    assert first.outcome == "comment" and again.outcome == "duplicate"
    assert ticket.comments.filter(metadata__email__message_id=first.message_id).count() == 1


def test_html_only_replies_are_sanitised_and_stripped(ticket):
    html = (
        "<p>Listo <b>gracias</b><script>alert(1)</script></p>"
        '<div class="gmail_quote">El lun escribió:<blockquote>viejo</blockquote></div>'
    )
    raw = reply(email_of(ticket), "ana@example.com", quote=False)
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    msg.set_content(html, subtype="html")
    ingest(msg.as_bytes(), "ana@example.com")
    comment = latest_comment(ticket)
    assert "<script>" not in comment.html_body and "viejo" not in comment.html_body
    assert "<b>gracias</b>" in comment.html_body
    assert comment.body.startswith("Listo gracias")


def test_attachments_are_kept_as_metadata(ticket):
    from email import message_from_bytes, policy

    msg = message_from_bytes(reply(email_of(ticket), "ana@example.com"), policy=policy.default)
    msg.add_attachment(
        b"%PDF-1.4 factura", maintype="application", subtype="pdf", filename="factura.pdf"
    )
    ingest(msg.as_bytes(), "ana@example.com")
    assert latest_comment(ticket).attachments == [
        {"file_name": "factura.pdf", "content_type": "application/pdf", "size": 16}
    ]


def test_a_new_request_received_twice_or_replayed_opens_one_ticket(db):
    from inboundmail import process_all

    from buzon.mail.inbound.processor import replay

    raw = message(sender="nuevo@example.org", subject="Ayuda", body="No puedo entrar.")
    first = ingest(raw)
    again = ingest(raw, rcpt_tos=["support+otra@helpdesk.test"])  # another envelope
    assert first.outcome == "new_ticket" and again.outcome == "duplicate"
    assert again.ticket_id == first.ticket_id
    replay([first.pk])
    process_all()
    assert Ticket.objects.count() == 1


def test_a_replayed_reply_without_message_id_is_not_added_twice(ticket):
    from inboundmail import process_all

    from buzon.mail.inbound.processor import replay

    raw = b"".join(
        line + b"\n"
        for line in reply(email_of(ticket), "ana@example.com").split(b"\n")
        if not line.lower().startswith(b"message-id")
    )
    row = ingest(raw, "ana@example.com")
    assert row.outcome == "comment"
    replay([row.pk])
    process_all()
    row.refresh_from_db()
    assert row.outcome == "duplicate"
    assert ticket.comments.filter(metadata__email__inbound_message_id=row.pk).count() == 1


def test_a_forged_requester_fails_authentication_and_is_only_an_internal_note(ticket, settings):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"
    forged = {
        "Authentication-Results": "mx.helpdesk.test; spf=fail smtp.mailfrom=example.com; "
        "dkim=none; dmarc=fail (p=reject) header.from=example.com"
    }
    row = ingest(reply(email_of(ticket), "ana@example.com", headers=forged), "ana@example.com")
    comment = latest_comment(ticket)
    assert row.outcome == "internal_note" and not comment.public
    assert "authentication failed" in row.detail
    assert "dmarc=fail" in comment.metadata["authentication_results"]
    assert not notified(comment) & {"carla@example.com", "diego@example.net"}


def test_authentication_results_from_anyone_else_are_not_trusted(ticket, settings):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.test"
    # The sender wrote a "pass" under another id, and a "fail" from our MTA is absent.
    headers = {"Authentication-Results": "evil.example; dmarc=pass header.from=example.com"}
    row = ingest(reply(email_of(ticket), "ana@example.com", headers=headers), "ana@example.com")
    assert row.outcome == "comment"
    passing = {"Authentication-Results": "mx.helpdesk.test; dkim=pass header.d=example.com; "
               "spf=fail; dmarc=pass"}  # fmt: skip
    row = ingest(reply(email_of(ticket), "carla@example.com", headers=passing), "carla@example.com")
    assert row.outcome == "comment"


def test_people_the_requester_copies_on_a_reply_become_ccs(ticket):
    raw = reply(
        email_of(ticket), "ana@example.com", "Copio a mi jefa.",
        headers={"Cc": "Jefa <jefa@example.com>, support@helpdesk.test, carla@example.com"},
    )  # fmt: skip
    row = ingest(raw, "ana@example.com")
    assert row.outcome == "comment"
    ccs = set(ticket.email_ccs.values_list("email", flat=True))
    assert ccs == {"carla@example.com", "diego@example.net", "jefa@example.com"}
    assert "jefa@example.com" in notified(latest_comment(ticket))


def test_a_stranger_cannot_add_ccs(ticket):
    raw = reply(email_of(ticket), "eve@elsewhere.example", headers={"Cc": "victim@example.org"})
    ingest(raw, "eve@elsewhere.example")
    assert not ticket.email_ccs.filter(email="victim@example.org").exists()
