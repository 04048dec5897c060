"""ESP tracking webhooks (django-anymail) with payloads shaped as each ESP documents
them: authenticated ones are matched to the delivery (our metadata, or the id the ESP
returned at send time) and recorded through the same path as DSNs (source webhook);
unauthenticated ones change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound.models import UnmatchedBounce
from buzon.rules.standard import FAILURE_TAG

SECRET = "hook-user:hook-pass"
MAILGUN_KEY = "key-mailgun-signing-0123456789"


@pytest.fixture
def anymail(settings, sns_signer):
    """The ESPs' credentials; returns the SNS signer Amazon SES's posts need."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    return sns_signer


@pytest.fixture
def ana(ticket) -> Delivery:
    """Ana's copy, handed off to the ESP, which returned its own message id."""
    ana = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    record_handoffs([(ana, Reply(250, provider_message_id="esp-msg-0001"))])
    ana.refresh_from_db()
    assert ana.provider_message_id == "esp-msg-0001"
    return ana


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(client, esp: str, body, secret: str | None = SECRET, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    extra = {**(auth(secret) if secret else {}), **headers}
    return client.post(
        f"/webhooks/esp/{esp}/tracking/", data=data, content_type="application/json", **extra
    )


# ------------------------------------------------------------------ payloads


def ses_bounce(delivery: Delivery, kind: str = "Bounce") -> tuple[dict, dict]:
    mail = {
        "timestamp": "2026-03-03T10:00:00.000Z",
        "messageId": delivery.provider_message_id,
        "source": "support@helpdesk.test",
        "destination": [delivery.email],
    }
    if kind == "Bounce":
        event = {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": delivery.email,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-03-03T10:00:01.000Z",
                "feedbackId": "0100-feedback",
                "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
            },
            "mail": mail,
        }
    else:
        event = {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": delivery.email}],
                "timestamp": "2026-03-03T10:05:00.000Z",
                "feedbackId": "0100-complaint",
                "complaintFeedbackType": "abuse",
            },
            "mail": mail,
        }
    sns = {
        "Type": "Notification",
        "MessageId": f"sns-{kind}-1",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Message": json.dumps(event),
        "Timestamp": "2026-03-03T10:00:02.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": sns["MessageId"],
    }
    return sns, headers


def mailgun(delivery: Delivery, severity: str = "permanent", key: str = MAILGUN_KEY) -> dict:
    timestamp, token = "1772532000", "tok" * 10
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "failed",
            "severity": severity,
            "id": f"mg-evt-{severity}",
            "timestamp": 1772532000.5,
            "recipient": delivery.email,
            "reason": "bounce" if severity == "permanent" else "generic",
            "message": {"headers": {"message-id": "20260303100000.1@mg.helpdesk.test"}},
            "delivery-status": {
                "code": 550 if severity == "permanent" else 452,
                "enhanced-code": "5.1.1" if severity == "permanent" else "4.2.2",
                "message": "The email account that you tried to reach does not exist",
                "description": "",
                "attempt-no": 1,
            },
            "user-variables": {"buzon_return_token": delivery.return_token},
        },
    }


def postmark(delivery: Delivery, record: str = "Bounce", kind: str = "HardBounce") -> dict:
    base = {
        "RecordType": record,
        "MessageID": delivery.provider_message_id,
        "Metadata": {"buzon_return_token": delivery.return_token},
        "MessageStream": "outbound",
        "Tag": "",
    }
    if record == "Bounce":
        return {
            **base,
            "ID": 4323372036854775807,
            "Type": kind,
            "TypeCode": 1,
            "Email": delivery.email,
            "From": "support@helpdesk.test",
            "BouncedAt": "2026-03-03T10:00:00Z",
            "Details": "smtp;550 5.2.2 mailbox full",
            "Description": "The server was unable to deliver your message (ex: unknown "
            "user, mailbox not found).",
            "Inactive": True,
            "CanActivate": True,
            "Subject": "Re: Factura duplicada",
        }
    if record == "Delivery":
        return {
            **base,
            "Recipient": delivery.email,
            "DeliveredAt": "2026-03-03T10:00:00Z",
            "Details": "Test delivery webhook details",
            "ServerID": 23,
        }
    return {  # SpamComplaint
        **base,
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Email": delivery.email,
        "BouncedAt": "2026-03-03T10:00:00Z",
        "Details": "Test spam complaint details",
    }


def sendgrid(delivery: Delivery, event: str = "bounce") -> list[dict]:
    item = {
        "email": delivery.email,
        "timestamp": 1772532000,
        "event": event,
        "sg_event_id": f"sg-{event}-1",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "anymail_id": delivery.provider_message_id,
        "buzon_return_token": delivery.return_token,
    }
    if event == "bounce":
        item.update(
            type="bounce",
            status="5.1.1",
            reason="550 5.1.1 The email account that you tried to reach does not exist.",
        )
    elif event == "deferred":
        item.update(response="450 4.2.0 Mailbox busy, try again later", attempt="3")
    return [item]


def brevo(delivery: Delivery, event: str = "hard_bounce") -> dict:
    return {
        "event": event,
        "email": delivery.email,
        "id": 123456,
        "date": "2026-03-03 10:00:00",
        "ts_epoch": 1772532000000,
        "message-id": "<202603031000.1@smtp-relay.mailin.fr>",
        "reason": "550 5.1.1 user unknown",
        "X-Mailin-custom": json.dumps({"buzon_return_token": delivery.return_token}),
        "tag": "",
    }


# ----------------------------------------------------------------------- tests


def test_amazon_ses_bounce_via_sns(client, anymail, ana, ticket):
    body, headers = ses_bounce(ana)
    assert post(client, "amazon_ses", anymail.sign(body), **headers).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.failure_source) == ("failed", "webhook")
    assert (ana.reply_code, ana.enhanced_status, ana.reason, ana.hard) == (
        550, "5.1.1", "userunknown", True,
    )  # fmt: skip
    assert ana.remote_mta == "Amazon SES"
    assert FAILURE_TAG in ticket.tag_list


def test_amazon_ses_complaint(client, anymail, ana):
    body, headers = ses_bounce(ana, "Complaint")
    assert post(client, "amazon_ses", anymail.sign(body, version="2"), **headers).status_code == 200
    ana.refresh_from_db()
    assert ana.state == "handed_off" and ana.events.filter(kind="complaint").exists()
    assert Suppression.objects.filter(address="ana@example.com", reason="feedback").exists()


def test_mailgun_permanent_and_temporary_failures(client, anymail, ana):
    assert post(client, "mailgun", mailgun(ana, "temporary")).status_code == 200
    ana.refresh_from_db()
    assert ana.state == "deferred" and ana.events.filter(kind="delayed").exists()
    assert post(client, "mailgun", mailgun(ana)).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.reply_code, ana.enhanced_status) == ("failed", 550, "5.1.1")


def test_mailgun_with_a_wrong_signature_changes_nothing(client, anymail, ana):
    response = post(client, "mailgun", mailgun(ana, key="not-the-key"))
    assert response.status_code == 400
    ana.refresh_from_db()
    assert ana.state == "handed_off"


def test_postmark_bounce_delivery_and_complaint(client, anymail, ticket):
    ana, carla = (
        Delivery.objects.get(ticket=ticket, email=e)
        for e in ("ana@example.com", "carla@example.com")
    )
    record_handoffs([(ana, Reply(250, provider_message_id="pm-1")),
                     (carla, Reply(250, provider_message_id="pm-2"))])  # fmt: skip
    ana.refresh_from_db()
    carla.refresh_from_db()
    assert post(client, "postmark", postmark(ana)).status_code == 200
    assert post(client, "postmark", postmark(carla, "Delivery")).status_code == 200
    ana.refresh_from_db()
    carla.refresh_from_db()
    assert (ana.state, ana.reply_code, ana.enhanced_status, ana.reason) == (
        "failed", 550, "5.2.2", "mailboxfull",
    )  # fmt: skip
    assert carla.state == "delivered" and carla.delivered_at is not None
    assert post(client, "postmark", postmark(carla, "SpamComplaint")).status_code == 200
    assert carla.events.filter(kind="complaint").exists()


def test_sendgrid_deferred_then_bounce(client, anymail, ana):
    assert post(client, "sendgrid", sendgrid(ana, "deferred")).status_code == 200
    ana.refresh_from_db()
    assert ana.state == "deferred"
    assert post(client, "sendgrid", sendgrid(ana)).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.enhanced_status, ana.reason) == ("failed", "5.1.1", "userunknown")


def test_brevo_hard_bounce(client, anymail, ana):
    assert post(client, "brevo", brevo(ana)).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.failure_source, ana.reply_code) == ("failed", "webhook", 550)


def test_a_webhook_posted_twice_records_once(client, anymail, ana):
    body = sendgrid(ana)
    post(client, "sendgrid", body)
    events = ana.events.count()
    assert post(client, "sendgrid", body).status_code == 200
    assert ana.events.count() == events


def test_matching_by_the_esp_message_id_alone(client, anymail, ana):
    body = postmark(ana)
    body["Metadata"] = {}
    post(client, "postmark", body)
    ana.refresh_from_db()
    assert ana.state == "failed"


def test_an_event_about_nothing_we_sent_is_kept_as_unmatched(client, anymail, ana):
    body = postmark(ana)
    body.update(Metadata={}, MessageID="someone-elses-id")
    assert post(client, "postmark", body).status_code == 200
    ana.refresh_from_db()
    assert ana.state == "handed_off"
    (kept,) = UnmatchedBounce.objects.all()
    assert kept.source == "webhook" and b"someone-elses-id" in bytes(kept.raw)


@pytest.mark.parametrize("esp", ["amazon_ses", "postmark", "sendgrid", "brevo"])
def test_without_or_with_wrong_basic_auth_nothing_changes(client, anymail, ana, esp):
    body = {
        "postmark": lambda: postmark(ana),
        "sendgrid": lambda: sendgrid(ana),
        "brevo": lambda: brevo(ana),
        "amazon_ses": lambda: anymail.sign(ses_bounce(ana)[0]),
    }[esp]()
    headers = ses_bounce(ana)[1] if esp == "amazon_ses" else {}
    for secret in (None, "hook-user:wrong"):
        response = post(client, esp, body, secret=secret, **headers)
        assert response.status_code in (400, 401, 403)
    ana.refresh_from_db()
    assert ana.state == "handed_off" and not ana.events.exclude(kind__in=["queued", "handed_off"])


def test_webhooks_are_off_until_their_authentication_is_configured(client, settings, ana):
    settings.ANYMAIL = {}
    assert post(client, "postmark", postmark(ana), secret=None).status_code == 404
    assert post(client, "mailgun", mailgun(ana), secret=None).status_code == 404
    ana.refresh_from_db()
    assert ana.state == "handed_off"


def test_sendgrid_dropped_is_a_rejection(client, anymail, ana):
    body = sendgrid(ana, "dropped")
    body[0]["reason"] = "Bounced Address"
    assert post(client, "sendgrid", body).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.failure_source, ana.reason, ana.hard) == (
        "failed", "webhook", "userunknown", True,
    )  # fmt: skip
    assert "Bounced Address" in ana.diagnostic
