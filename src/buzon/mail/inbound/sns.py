"""Amazon SNS message signatures, checked before anymail's Amazon SES views see a post.

Amazon SES reports bounces and hands over received mail through an SNS topic, whose
HTTPS subscription posts to `/webhooks/esp/amazon_ses/…`. anymail authenticates those
posts by HTTP basic auth only. This module also checks what only Amazon can make: the
SNS signature over the message's fields, made with the key of the certificate named by
`SigningCertURL` (Amazon's "Verifying the signatures of Amazon SNS messages"):

- the certificate must come from an Amazon SNS address (`https://sns.<region>.
  amazonaws.com/….pem`, the pattern `SNS_CERT_URL_PATTERN` in settings), fetched over
  TLS, at most `_MAX_CERT_BYTES`, and cached per URL for the life of the process;
- the signature (SignatureVersion 1: RSA PKCS#1 v1.5 over SHA-1; 2: over SHA-256) must
  verify over the canonical string SNS signs for that message type;
- when `BUZON_SNS_TOPIC_ARNS` lists topics, the message must come from one of them:
  anyone can create an SNS topic of their own, and Amazon signs its messages too.

A post that fails any of these is refused (400) before anymail reads it, so it stores
and changes nothing, and a subscription confirmation that is not Amazon's is never
followed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import urllib.request
from collections import OrderedDict
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

log = logging.getLogger("buzon.mail.sns")

# The fields SNS signs, in the order it signs them, per message type.
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
_MAX_BODY_BYTES = 1_000_000
_MAX_CERT_BYTES = 64 * 1024
_CACHE_SIZE = 16
_certificates: OrderedDict[str, x509.Certificate] = OrderedDict()


class SnsMessageRefused(Exception):
    """Why a post is not an authentic SNS message from a topic we accept."""


def refusal(request: HttpRequest, esp: str) -> HttpResponse | None:
    """The 400 for a post to an Amazon SES view that is not an authentic SNS message;
    None when the post may go on to anymail (or is not for Amazon SES)."""
    if esp != "amazon_ses" or request.method != "POST":
        return None
    try:
        check_message(request.body)
    except SnsMessageRefused as error:
        log.warning("refused an Amazon SES post: %s", error)
        return HttpResponseBadRequest(f"Not an authentic Amazon SNS message: {error}")
    return None


def check_message(body: bytes) -> None:
    """Raise SnsMessageRefused unless `body` is an SNS message Amazon signed for an
    accepted topic."""
    message = _load(body)
    kind = message.get("Type")
    if kind not in _SIGNED_FIELDS:
        raise SnsMessageRefused(f"not an SNS message type we know: {kind!r}")
    topics = getattr(settings, "SNS_TOPIC_ARNS", [])
    if topics and message.get("TopicArn") not in topics:
        raise SnsMessageRefused(f"topic {message.get('TopicArn')!r} is not in BUZON_SNS_TOPIC_ARNS")
    digest = _HASHES.get(str(message.get("SignatureVersion")))
    if digest is None:
        raise SnsMessageRefused("unknown SignatureVersion")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except binascii.Error as error:
        raise SnsMessageRefused("the Signature is not base64") from error
    key = _certificate(str(message.get("SigningCertURL", ""))).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsMessageRefused("the signing certificate's key is not RSA")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), digest())
    except InvalidSignature as error:
        raise SnsMessageRefused("the SNS signature does not verify") from error


def string_to_sign(message: dict[str, object]) -> bytes:
    """The canonical text SNS signs: each present field's name and value, one per line."""
    lines = []
    for field in _SIGNED_FIELDS[str(message["Type"])]:
        value = message.get(field)
        if value is None:
            if field == "Subject":  # the one optional signed field
                continue
            raise SnsMessageRefused(f"the signed field {field} is missing")
        lines.append(f"{field}\n{value}\n")
    return "".join(lines).encode()


def _load(body: bytes) -> dict[str, object]:
    if len(body) > _MAX_BODY_BYTES:
        raise SnsMessageRefused(f"body of {len(body):,} bytes is over {_MAX_BODY_BYTES:,}")
    try:
        message = json.loads(body)
    except ValueError as error:
        raise SnsMessageRefused("the body is not JSON") from error
    if not isinstance(message, dict):
        raise SnsMessageRefused("the body is not a JSON object")
    return message


def _certificate(url: str) -> x509.Certificate:
    if not re.fullmatch(settings.SNS_CERT_URL_PATTERN, url):
        raise SnsMessageRefused(f"SigningCertURL {url!r} is not an Amazon SNS address")
    certificate = _certificates.get(url)
    if certificate is None:
        certificate = _fetch(url)
        _certificates[url] = certificate
        while len(_certificates) > _CACHE_SIZE:
            _certificates.popitem(last=False)
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsMessageRefused("the signing certificate is not valid today")
    return certificate


def _fetch(url: str) -> x509.Certificate:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            pem = response.read(_MAX_CERT_BYTES + 1)
    except OSError as error:
        raise SnsMessageRefused(f"could not fetch the signing certificate: {error}") from error
    if len(pem) > _MAX_CERT_BYTES:
        raise SnsMessageRefused("the signing certificate is too large")
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise SnsMessageRefused("the signing certificate is not a PEM certificate") from error
