"""Email notifications, as Zendesk's Email Notifications API, with each recipient's
delivery status from Zendesk's table — and Buzón's richer account beside it.

Needs the outbound apps (`buzon.deliveries`, `buzon.mail`): skipped without them.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Notification

if not (apps.is_installed("buzon.deliveries") and apps.is_installed("buzon.mail")):
    pytest.skip("needs buzon.deliveries and buzon.mail (outbound mail)", allow_module_level=True)

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.smtpcodes import zendesk_status

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


def fail(address: str, reply_code: int, enhanced: str, diagnostic: str, reason: str) -> None:
    """What the worker records when the remote server refuses one recipient."""
    status = zendesk_status(reply_code, enhanced, diagnostic)
    Delivery.objects.filter(email=address).update(
        state="failed", failure_source="smtp", reply_code=reply_code, enhanced_status=enhanced,
        diagnostic=diagnostic, reason=reason, hard=True, attempts=1,
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
    }
    details = failed["delivery_details"]
    assert (details["reason"], details["enhanced_status"], details["source"]) == (
        "userunknown", "5.1.1", "smtp",
    )  # fmt: skip
    assert details["diagnostic"].endswith("no such user") and details["attempts"] == 1
    assert recipients["carla@example.com"]["delivery_status"]["name"] == "none"


def test_show_show_many_and_the_other_filters(api):
    ticket_id = open_ticket(api, "carla@example.com")
    notification = Notification.objects.get(ticket_id=ticket_id)
    shown = api.get(f"email_notifications/{notification.pk}.json").json()["email_notification"]
    assert shown["notification_id"] == notification.pk
    by_comment = api.get(f"email_notifications?filter[comment_id]={notification.comment_id}")
    assert [e["notification_id"] for e in by_comment.json()["email_notifications"]] == [
        notification.pk
    ]
    by_id = api.get(f"email_notifications?filter[notification_id]={notification.pk}").json()
    assert len(by_id["email_notifications"]) == 1
    for query in (
        f"ids={notification.pk}",
        f"ticket_ids={ticket_id}",
        f"comment_ids={notification.comment_id}",
    ):
        many = api.get(f"email_notifications/show_many.json?{query}").json()
        assert [e["notification_id"] for e in many["email_notifications"]] == [notification.pk]


def test_errors(api):
    assert api.get("email_notifications.json").status_code == 400  # a filter is required
    assert api.get("email_notifications?filter[ticket_id]=abc").status_code == 400
    assert api.get("email_notifications/999999.json").status_code == 404
    assert api.get("email_notifications/show_many?ids=1&ticket_ids=2").status_code == 400


def test_spanish_speaking_agents_read_spanish_messages(api):
    ticket_id = open_ticket(api, "nadie@invalid.example")
    fail("nadie@invalid.example", 550, "5.1.1", "no such user", "userunknown")
    api.user.locale = "es"
    api.user.save()
    (email,) = api.get(f"email_notifications?filter[ticket_id]={ticket_id}").json()[
        "email_notifications"
    ]
    failed = next(r for r in email["recipients"] if r["email_address"] == "nadie@invalid.example")
    assert failed["delivery_status"]["message"] == zendesk_status(550, "5.1.1").message("es")
    assert failed["delivery_status"]["name"] == "user_does_not_exist"  # names stay Zendesk's


def test_one_tickets_notifications_take_a_fixed_number_of_queries(
    api, django_assert_max_num_queries
):
    ticket_id = open_ticket(api, "carla@example.com", "diego@example.net")
    for n in range(5):
        api.put(f"tickets/{ticket_id}", {"ticket": {"comment": {"body": f"Novedad {n}"}}})
    assert EmailNotification.objects.filter(ticket_id=ticket_id).count() == 6
    with django_assert_max_num_queries(6):
        body = api.get(f"email_notifications?filter[ticket_id]={ticket_id}").json()
    assert len(body["email_notifications"]) == 6


def test_agents_only(end_user_api, api):
    ticket_id = open_ticket(api)
    assert end_user_api.get(f"email_notifications?filter[ticket_id]={ticket_id}").status_code == 403


# ---------------------------------------------------------------- the acceptance flow


@pytest.mark.slow
def test_contract_sandbox_rejects_one_recipient(api, settings, request):
    """Zendesk's flow end to end: create a ticket for a new requester with two CCs, add a
    public comment, list its audits filtered to Notification events, let the worker send
    through the sandbox (which refuses nadie@invalid.example with 550 5.1.1), read the
    email notifications and the per-recipient status, search the failure tag, run the
    failures view."""
    sandbox_module = pytest.importorskip("buzon.mail.sandbox")
    worker_module = pytest.importorskip("buzon.mail.worker")
    from helpers import free_port

    sink = sandbox_module.Sandbox(
        "127.0.0.1", free_port(), sandbox_module.SandboxHandler(sink=True)
    )
    sink.__enter__()
    request.addfinalizer(lambda: sink.__exit__(None, None, None))
    server = sandbox_module.Sandbox(
        "127.0.0.1", free_port(), sandbox_module.SandboxHandler(dsn_port=sink.port)
    )
    server.__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))
    settings.RELAY_HOST, settings.RELAY_PORT = "127.0.0.1", server.port
    settings.SMTPD_HOST, settings.SMTPD_PORT = "127.0.0.1", sink.port

    ticket_id = open_ticket(api, "carla@example.com", "nadie@invalid.example")
    comment = api.put(
        f"tickets/{ticket_id}.json",
        {"ticket": {"comment": {"body": "Ya salió tu pedido.", "public": True}}},
    )
    assert comment.status_code == 200

    audits = api.get(f"tickets/{ticket_id}/audits.json?filter_events[]=Notification").json()
    notifications = [e for a in audits["audits"] for e in a["events"]]
    assert len(notifications) == 2 and {e["type"] for e in notifications} == {"Notification"}
    assert notifications[1]["via"]["source"]["from"]["title"] == (
        "Notify requester and CCs of comment update"
    )

    worker_module.Worker(poll=0.05).run(until_idle=True)

    body = api.get(f"email_notifications.json?filter[ticket_id]={ticket_id}").json()
    assert len(body["email_notifications"]) == 2
    for email in body["email_notifications"]:
        statuses = {r["email_address"]: r["delivery_status"] for r in email["recipients"]}
        assert statuses["nadie@invalid.example"]["code"] == "550 5.1.1"
        assert statuses["nadie@invalid.example"]["name"] == "user_does_not_exist"
        assert statuses["ana@example.com"]["name"] == "delivered"
        assert statuses["carla@example.com"]["name"] == "delivered"

    found = api.get(f"search.json?query=type:ticket tags:{FAILURE_TAG}").json()
    assert [r["id"] for r in found["results"]] == [ticket_id]

    views = api.get("views.json").json()["views"]
    failures = next(v for v in views if v["title"] == "Tickets with email delivery failures")
    view_tickets = api.get(f"views/{failures['id']}/tickets.json").json()["tickets"]
    assert [t["id"] for t in view_tickets] == [ticket_id]
    assert FAILURE_TAG in view_tickets[0]["tags"]
