"""Email notifications, as Zendesk's Email Notifications API, with each recipient's
delivery status from Zendesk's table — and Buzón's richer account beside it.
"""

from __future__ import annotations

import pytest

from buzon.deliveries.models import Delivery
from buzon.smtpcodes import zendesk_status
from buzon.tickets.models import Notification

pytestmark = pytest.mark.django_db

RECIPIENT_KEYS = {"user_id", "email_address", "delivery_status", "delivery_details"}
NOTIFICATION_KEYS = {
    "url", "notification_id", "ticket_id", "comment_id", "email_id", "message_id",
    "recipients", "created_at", "updated_at",
}  # fmt: skip


def open_ticket(api, *ccs: str) -> int:
    response = api.post(
        "tickets.json",
        {
            "ticket": {
                "subject": "Tu pedido",
                "comment": {"body": "Hola, te escribimos por tu pedido."},
                "requester": {"name": "Ana Cliente", "email": "ana@example.com"},
                "email_ccs": [{"user_email": cc, "action": "put"} for cc in ccs],
            }
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["ticket"]["id"]


def fail(
    address: str,
    reply_code: int,
    enhanced: str,
    diagnostic: str,
    reason: str,
    blame: str = "address",
) -> None:
    """What the worker records when the remote server refuses one recipient."""
    status = zendesk_status(reply_code, enhanced, diagnostic)
    Delivery.objects.filter(email=address).update(
        state="failed", failure_source="smtp", reply_code=reply_code, enhanced_status=enhanced,
        diagnostic=diagnostic, reason=reason, hard=True, attempts=1, blame=blame,
        zendesk_status_id=status.id, zendesk_status_name=status.name,
        zendesk_status_code=status.code,
    )  # fmt: skip


def test_list_by_ticket_with_per_recipient_delivery_status(api):
    ticket_id = open_ticket(api, "carla@example.com", "nadie@invalid.example")
    fail(
        "nadie@invalid.example",
        550,
        "5.1.1",
        "5.1.1 <nadie@invalid.example>: no such user",
        "userunknown",
    )
    response = api.get(f"email_notifications.json?filter[ticket_id]={ticket_id}")
    assert response.status_code == 200
    (email,) = response.json()["email_notifications"]
    assert set(email) >= NOTIFICATION_KEYS
    notification = Notification.objects.get(ticket_id=ticket_id)
    assert email["notification_id"] == notification.pk and email["ticket_id"] == ticket_id
    assert email["url"].endswith(f"/api/v2/email_notifications/{notification.pk}.json")
    assert email["message_id"].startswith("<") and email["message_id"].endswith(">")
    recipients = {r["email_address"]: r for r in email["recipients"]}
    assert set(recipients) == {"ana@example.com", "carla@example.com", "nadie@invalid.example"}
    failed = recipients["nadie@invalid.example"]
    assert set(failed) >= RECIPIENT_KEYS
    assert failed["delivery_status"] == {
        "id": 39,
        "name": "user_does_not_exist",
        "code": "550 5.1.1",
        "message": zendesk_status(550, "5.1.1").message("en"),
        "blame": "address",  # Buzón's, in its own field: Zendesk's four are unchanged
    }
    details = failed["delivery_details"]
    assert (details["reason"], details["enhanced_status"], details["source"]) == (
        "userunknown", "5.1.1", "smtp",
    )  # fmt: skip
    assert details["diagnostic"].endswith("no such user") and details["attempts"] == 1
    assert recipients["carla@example.com"]["delivery_status"]["name"] == "none"
    assert recipients["carla@example.com"]["delivery_status"]["blame"] == ""
    assert details["unverified_reports"] == 0


def test_a_refusal_of_our_setup_is_blamed_on_us_not_the_address(api):
    ticket_id = open_ticket(api)
    text = "5.7.25 The IP address sending this message does not have a PTR record"
    fail("ana@example.com", 550, "5.7.25", text, "requireptr", blame="setup")
    (email,) = api.get(f"email_notifications.json?filter[ticket_id]={ticket_id}").json()[
        "email_notifications"
    ]
    status = email["recipients"][0]["delivery_status"]
    assert set(status) == {"id", "name", "code", "message", "blame"}
    assert status["blame"] == "setup"
