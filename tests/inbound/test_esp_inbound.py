"""ESP inbound webhooks (django-anymail): each ESP's documented inbound payload — here a
customer's reply to one of our notifications — posted with its credentials (and
Mailgun's signature) is stored like SMTP-received mail and becomes a comment on the
ticket; an unsigned or badly signed post is refused and stores nothing.

Payload shapes follow each ESP's documentation: Mailgun's route forward() (parsed
fields, and raw MIME to inbound_mime/), SendGrid's Inbound Parse (parsed, and raw),
Postmark's inbound JSON, Amazon SES's "Received" notification through SNS (action SNS,
content base64), Brevo's inbound parsing webhook (items)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from inboundmail import email_of, process_all, reply

from buzon.mail.inbound.models import InboundMessage

SECRET = "inbound-user:inbound-long-random-password"
MAILGUN_KEY = "key-mailgun-inbound-signing-0123456789"
SUPPORT = "support@helpdesk.test"
BODY = "Gracias, con el reembolso queda resuelto."


@pytest.fixture
def anymail(settings, sns_signer):
    """The ESPs' credentials; returns the SNS signer Amazon SES's posts need."""
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "BREVO_API_KEY": "xkeysib-test",  # anymail fetches attachments with it
    }
    return sns_signer


def auth(secret: str | None = SECRET) -> dict[str, str]:
    if secret is None:
        return {}
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def the_reply(ticket) -> bytes:
    return reply(email_of(ticket), "ana@example.com", BODY)


def headers_of(raw: bytes) -> list[tuple[str, str]]:
    from email import message_from_bytes

    return list(message_from_bytes(raw).items())


# ------------------------------------------------------------------ payloads


def mailgun(raw: bytes, *, mime: bool = False, key: str = MAILGUN_KEY) -> dict[str, str]:
    """Mailgun's forward() POST: parsed fields, or body-mime; timestamp/token/signature."""
    timestamp, token = str(int(time.time())), "5a2c1f0e9d8b7a6c5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    fields = {
        "recipient": SUPPORT,
        "sender": "ana@example.com",
        "from": "Ana Cliente <ana@example.com>",
        "subject": dict(headers_of(raw))["Subject"],
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    if mime:
        fields["body-mime"] = raw.decode()
    else:
        fields.update(
            {
                "body-plain": BODY,
                "stripped-text": BODY,
                "message-headers": json.dumps(headers_of(raw)),
            }
        )
    return fields


def sendgrid(raw: bytes, *, parsed: bool) -> dict[str, str]:
    """SendGrid's Inbound Parse POST (multipart/form-data)."""
    envelope = json.dumps({"to": [SUPPORT], "from": "ana@example.com"})
    if not parsed:
        return {"email": raw.decode(), "envelope": envelope, "charsets": "{}", "SPF": "pass"}
    headers = "\n".join(f"{k}: {v}" for k, v in headers_of(raw))
    return {
        "headers": headers,
        "text": BODY,
        "from": "Ana Cliente <ana@example.com>",
        "to": SUPPORT,
        "subject": dict(headers_of(raw))["Subject"],
        "envelope": envelope,
        "charsets": json.dumps(
            {"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}
        ),
        "SPF": "pass",
        "sender_ip": "192.0.2.10",
    }


def postmark(raw: bytes) -> dict:
    """Postmark's inbound webhook JSON."""
    headers = dict(headers_of(raw))
    return {
        "FromName": "Ana Cliente",
        "MessageStream": "inbound",
        "From": "ana@example.com",
        "FromFull": {"Email": "ana@example.com", "Name": "Ana Cliente", "MailboxHash": ""},
        "To": SUPPORT,
        "ToFull": [{"Email": SUPPORT, "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": SUPPORT,
        "Subject": headers["Subject"],
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": headers["Date"],
        "TextBody": BODY,
        "HtmlBody": "",
        "StrippedTextReply": BODY,
        "Tag": "",
        "Headers": [
            {"Name": name, "Value": value}
            for name, value in headers_of(raw)
            if name in ("Message-ID", "In-Reply-To", "References", "Date")
        ],
        "Attachments": [],
    }


def ses(raw: bytes) -> tuple[dict, dict]:
    """An Amazon SES "Received" notification (receipt rule action SNS, base64) in SNS."""
    notification = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-03-03T10:00:00.000Z",
            "source": "ana@example.com",
            "messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
            "destination": [SUPPORT],
            "headersTruncated": False,
            "headers": [{"name": k, "value": v} for k, v in headers_of(raw)],
            "commonHeaders": {"from": ["Ana Cliente <ana@example.com>"], "to": [SUPPORT]},
        },
        "receipt": {
            "timestamp": "2026-03-03T10:00:00.000Z",
            "processingTimeMillis": 220,
            "recipients": [SUPPORT],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:us-east-1:123456789012:ses-inbound",
                "encoding": "BASE64",
            },
        },
        "content": base64.b64encode(raw).decode(),
    }
    message_id = "4b8c1d7e-2f3a-5b6c-9d0e-1f2a3b4c5d6e"
    sns = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(notification),
        "Timestamp": "2026-03-03T10:00:00.500Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": message_id,
        "HTTP_X_AMZ_SNS_TOPIC_ARN": sns["TopicArn"],
    }
    return sns, headers


def brevo(raw: bytes) -> dict:
    """Brevo's inbound parsing webhook (a list of items)."""
    headers: dict[str, str] = dict(headers_of(raw))
    return {
        "items": [
            {
                "Uuid": ["9f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8"],
                "MessageId": headers["Message-ID"].strip("<>"),
                "InReplyTo": headers["In-Reply-To"].strip("<>"),
                "From": {"Name": "Ana Cliente", "Address": "ana@example.com"},
                "To": [{"Name": None, "Address": SUPPORT}],
                "Cc": None,
                "ReplyTo": None,
                "SentAtDate": headers["Date"],
                "Subject": headers["Subject"],
                "Attachments": [],
                "Headers": headers,
                "SpamScore": 0.1,
                "ExtractedMarkdownMessage": BODY,
                "ExtractedMarkdownSignature": None,
                "RawHtmlBody": "",
                "RawTextBody": BODY,
            }
        ]
    }


def post(client, esp: str, raw: bytes, *, secret: str | None = SECRET, signer=None, **variant):
    """POST the ESP's payload for this message, as the ESP would."""
    if esp == "mailgun":
        mime = variant.get("mime", False)
        url = "/webhooks/esp/mailgun/inbound_mime/" if mime else "/webhooks/esp/mailgun/inbound/"
        return client.post(url, data=mailgun(raw, **variant), **auth(secret))
    if esp == "sendgrid":
        data = sendgrid(raw, parsed=variant.get("parsed", True))
        return client.post("/webhooks/esp/sendgrid/inbound/", data=data, **auth(secret))
    if esp == "amazon_ses":
        body, headers = ses(raw)
        body = signer.sign(body) if signer else body
        return client.post(
            "/webhooks/esp/amazon_ses/inbound/", data=json.dumps(body),
            content_type="text/plain; charset=UTF-8", **headers, **auth(secret),
        )  # fmt: skip
    body = postmark(raw) if esp == "postmark" else brevo(raw)
    return client.post(
        f"/webhooks/esp/{esp}/inbound/", data=json.dumps(body),
        content_type="application/json", **auth(secret),
    )  # fmt: skip


CASES = [
    ("mailgun", {}),
    ("mailgun", {"mime": True}),
    ("sendgrid", {"parsed": True}),
    ("sendgrid", {"parsed": False}),
    ("postmark", {}),
    ("amazon_ses", {}),
    ("brevo", {}),
]


# --------------------------------------------------------------------- tests


@pytest.mark.parametrize(("esp", "variant"), CASES)
def test_a_signed_inbound_post_becomes_a_comment_on_the_ticket(
    client, anymail, ticket, esp, variant
):
    response = post(client, esp, the_reply(ticket), signer=anymail, **variant)
    assert response.status_code == 200, response.content
    row = InboundMessage.objects.get()
    assert (row.source, row.state) == ("esp", "received")  # stored before the 200
    assert row.rcpt_tos == [SUPPORT]
    process_all()
    row.refresh_from_db()
    assert (row.state, row.outcome, row.ticket_id) == ("processed", "comment", ticket.pk)
    comment = ticket.comments.order_by("-id").first()
    assert comment.author.email == "ana@example.com" and comment.public
    assert comment.via == "email" and comment.body.startswith(BODY)


@pytest.mark.parametrize("esp", sorted({esp for esp, _ in CASES}))
@pytest.mark.parametrize("secret", [None, "inbound-user:wrong-password"])
def test_an_unsigned_or_badly_signed_post_is_refused_and_stores_nothing(
    client, anymail, ticket, esp, secret
):
    response = post(client, esp, the_reply(ticket), secret=secret, signer=anymail)
    assert response.status_code in (400, 401)  # 401: SNS's challenge for credentials
    assert not InboundMessage.objects.exists()


def test_mailgun_with_a_wrong_signature_is_refused_even_with_the_password(client, anymail, ticket):
    response = post(client, "mailgun", the_reply(ticket), key="not-the-signing-key")
    assert response.status_code == 400
    fields = mailgun(the_reply(ticket))
    del fields["signature"]
    assert client.post("/webhooks/esp/mailgun/inbound/", data=fields, **auth()).status_code == 400
    assert not InboundMessage.objects.exists()


def test_inbound_webhooks_are_off_until_their_authentication_is_configured(
    client, settings, ticket
):
    settings.ANYMAIL = {}
    for esp in ("postmark", "mailgun", "amazon_ses"):
        assert post(client, esp, the_reply(ticket)).status_code == 404
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}  # Mailgun also needs its signing key,
    assert post(client, "mailgun", the_reply(ticket)).status_code == 404
    assert post(client, "brevo", the_reply(ticket)).status_code == 404  # Brevo its API key
    assert not InboundMessage.objects.exists()


def test_a_post_the_esp_retries_is_stored_once(client, anymail, ticket):
    raw = the_reply(ticket)
    assert post(client, "postmark", raw).status_code == 200
    assert post(client, "postmark", raw).status_code == 200
    assert InboundMessage.objects.count() == 1
    process_all()
    assert ticket.comments.filter(body__startswith=BODY).count() == 1
