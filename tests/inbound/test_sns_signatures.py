"""Amazon SES posts through SNS count only when Amazon signed them: a real RSA signature
checked against a certificate fetched over HTTP from a server on loopback (standing in
for Amazon SNS's certificate address). Anything else is refused before anymail reads
it: no delivery, identity, suppression or stored message changes."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from snssigner import SnsSigner
from test_webhooks import SECRET, auth, ses_bounce

from buzon.deliveries.models import Delivery, Suppression
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.inbound.models import InboundMessage
from buzon.mail.inbound.sns import SnsMessageRefused, check_message

URL = "/webhooks/esp/amazon_ses/tracking/"


@pytest.fixture
def ana(ticket) -> Delivery:
    """Ana's copy, handed off to Amazon SES."""
    ana = Delivery.objects.get(ticket=ticket, email="ana@example.com")
    record_handoffs([(ana, Reply(250, provider_message_id="ses-msg-0001"))])
    ana.refresh_from_db()
    return ana


@pytest.fixture
def anymail(settings, sns_signer):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    return sns_signer


def send(client, body: dict, headers: dict):
    return client.post(
        URL, data=json.dumps(body), content_type="text/plain; charset=UTF-8",
        **headers, **auth(),
    )  # fmt: skip


def nothing_changed(ana) -> bool:
    ana.refresh_from_db()
    return (
        ana.state == "handed_off"
        and not Suppression.objects.exists()
        and not InboundMessage.objects.exists()
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_bounce_amazon_signed_fails_the_delivery(client, anymail, ana, version):
    body, headers = ses_bounce(ana)
    assert send(client, anymail.sign(body, version=version), headers).status_code == 200
    ana.refresh_from_db()
    assert (ana.state, ana.failure_source) == ("failed", "webhook")


def test_an_unsigned_bounce_with_the_right_password_changes_nothing(client, anymail, ana):
    body, headers = ses_bounce(ana)  # "Signature": "EXAMPLE", Amazon's certificate URL
    response = send(client, body, headers)
    assert response.status_code == 400
    assert nothing_changed(ana)


def test_a_bounce_changed_after_signing_changes_nothing(client, anymail, ana):
    body, headers = ses_bounce(ana)
    signed = anymail.sign(body)
    event = json.loads(signed["Message"])
    event["bounce"]["bouncedRecipients"][0]["emailAddress"] = "bob@example.com"
    signed["Message"] = json.dumps(event)
    response = send(client, signed, headers)
    assert response.status_code == 400 and b"does not verify" in response.content
    assert nothing_changed(ana)


def test_a_signature_by_another_key_changes_nothing(client, anymail, ana):
    """The attacker serves their own certificate at an address that matches nothing."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body, headers = ses_bounce(ana)
    forged = SnsSigner(anymail.cert_url, other).sign(body)  # our URL, their key
    assert send(client, forged, headers).status_code == 400
    elsewhere = SnsSigner("http://evil.example/SimpleNotificationService.pem", other)
    response = send(client, elsewhere.sign(body), headers)
    assert response.status_code == 400 and b"not an Amazon SNS address" in response.content
    assert nothing_changed(ana)


def test_a_topic_not_listed_changes_nothing(client, anymail, ana, settings):
    """Anyone can make an SNS topic, and Amazon signs its messages too."""
    settings.SNS_TOPIC_ARNS = ["arn:aws:sns:us-east-1:123456789012:our-topic"]
    body, headers = ses_bounce(ana)
    response = send(client, anymail.sign(body), headers)
    assert response.status_code == 400 and b"BUZON_SNS_TOPIC_ARNS" in response.content
    assert nothing_changed(ana)
    settings.SNS_TOPIC_ARNS = [body["TopicArn"]]
    assert send(client, anymail.sign(body), headers).status_code == 200


def test_a_forged_subscription_confirmation_is_not_followed(client, anymail):
    """anymail would fetch SubscribeURL; a confirmation Amazon did not sign never gets
    that far."""
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Message": "You have chosen to subscribe to the topic …",
        "SubscribeURL": "http://127.0.0.1:9/attacker-chosen",
        "Timestamp": "2026-03-03T10:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": base64.b64encode(b"x" * 256).decode(),
        "SigningCertURL": anymail.cert_url,
    }
    headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "SubscriptionConfirmation"}
    assert send(client, confirmation, headers).status_code == 400
    check_message(json.dumps(anymail.sign(confirmation)).encode())  # Amazon's own: fine


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"Type": "Other"}', "message type"),
        (b" " * 1_000_001, "over"),
    ],
)
def test_garbage_is_refused_with_the_reason(body, why, sns_signer):
    with pytest.raises(SnsMessageRefused, match=why):
        check_message(body)
