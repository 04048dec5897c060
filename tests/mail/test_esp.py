"""Sending through an email service provider (django-anymail) is a setting."""

from __future__ import annotations

import pytest
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail

from buzon.deliveries.models import Delivery
from buzon.mail import esp
from buzon.mail.verp import verify_copy_id
from buzon.mail.worker import Worker, make_transport
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, update_ticket


@pytest.fixture
def esp_backend(settings):
    settings.OUTBOUND_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return settings


def respond_with(monkeypatch, responses: dict[str, object]) -> None:
    """Make the test ESP answer per recipient (a status) or fail (an exception)."""
    build = esp._django_message

    def with_response(parsed, recipient, envid, connection):
        message = build(parsed, recipient, envid, connection)
        response = responses.get(recipient)
        if isinstance(response, Exception):
            message.anymail_test_response = response
        elif response is not None:
            status = AnymailRecipientStatus(message_id=None, status=response)
            message.anymail_test_response = {"recipient_status": {recipient: status}}
        return message

    monkeypatch.setattr(esp, "_django_message", with_response)


def test_each_delivery_is_one_esp_message_with_our_headers(esp_backend, ticket, agent):
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    assert isinstance(make_transport(), esp.EspRelay)
    Worker(poll=0.05).run(until_idle=True)
    deliveries = list(Delivery.objects.order_by("id"))
    assert {d.state for d in deliveries} == {"handed_off"}
    assert len(mail.outbox) == len(deliveries) == 6
    last = deliveries[-1]
    # Sent over several connections at once: the ESP gets them in any order.
    [index] = [
        i
        for i, m in enumerate(mail.outbox)
        if m.metadata["buzon_return_token"] == last.return_token
    ]
    message = mail.outbox[index]
    assert message.to == [last.email]
    assert message.extra_headers["Message-ID"] == f"<{last.email_notification.message_id}>"
    assert message.extra_headers["In-Reply-To"]
    assert verify_copy_id(message.extra_headers["X-Buzon-Copy"], last.email) == last.return_token
    assert message.metadata == {"buzon_return_token": last.return_token}
    assert "Hola" in message.body and "Hola" in message.alternatives[0][0]
    assert last.provider_message_id == str(index)


def test_esp_refusals_fail_and_esp_errors_retry(esp_backend, ticket, monkeypatch, cc_users):
    first, second = cc_users
    respond_with(
        monkeypatch,
        {
            first.email: "rejected",
            second.email: AnymailAPIError("ESP is down"),
            ticket.requester.email: "invalid",
        },
    )
    Worker(poll=0.05).run(until_idle=True)
    rows = {d.email: d for d in Delivery.objects.all()}
    assert (rows[first.email].state, rows[first.email].failure_source) == ("failed", "webhook")
    assert rows[second.email].state == "deferred"
    assert "ESP is down" in rows[second.email].last_error
    requester = rows[ticket.requester.email]
    assert (requester.state, requester.failure_source, requester.enhanced_status) == (
        "failed", "invalid", "5.1.3",
    )  # fmt: skip
