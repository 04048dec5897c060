"""ESP tracking webhooks (django-anymail): bounces, rejections, delays, complaints and
confirmed deliveries reported by an email service provider, fed into the same
recording path as SMTP answers and DSNs (source `webhook`).

- URLs: `/webhooks/esp/<esp>/tracking/` for Amazon SES (via SNS), Mailgun, Postmark,
  SendGrid, Brevo, Mailjet, SparkPost, Postal and Resend (`ESPS`). Authentication is
  anymail's: HTTP basic auth with `WEBHOOK_SECRET` (in BUZON_ANYMAIL), plus the ESP's
  own signature where anymail checks one (Mailgun's signing key, Postal, Resend,
  SendGrid's signed webhooks; Amazon SNS's message signature, checked by `sns`
  before anymail reads the post). **An endpoint whose authentication is not configured
  answers 404**: anymail alone would accept anyone, with a warning. A request that
  fails authentication gets anymail's 400 and changes nothing.
- Events arrive through anymail's `tracking` signal (`on_tracking`), normalised. Each
  is matched to a delivery by our metadata first (`buzon_return_token`, which
  `mail.esp` sends with every copy), then by the id the ESP returned at send time
  (`Delivery.provider_message_id`) and the recipient. Unmatched bounces, delays and
  complaints are kept as unmatched inbound messages (the event's JSON as raw bytes),
  listed for admins like unmatched DSNs.
- Mapping: bounced, rejected, failed → `record_failure`; deferred → `record_delay`;
  delivered → `record_delivered`; complained → `record_complaint`. Sent, queued,
  opened, clicked and the rest are ignored. Each carries a dedupe key (ESP, event id,
  recipient, type): an ESP that retries a webhook changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from buzon.deliveries.models import Delivery, FailureSource
from buzon.deliveries.recording import (
    Delay,
    Failure,
    record_complaint,
    record_delay,
    record_delivered,
    record_failure,
)
from buzon.mail.inbound import sns
from buzon.mail.inbound.models import InboundKind, InboundMessage, InboundSource, InboundState
from buzon.smtpcodes.parsing import STATUS_CODE, STATUS_RE
from buzon_bounces import blame, classify

log = logging.getLogger("buzon.mail.webhooks")

FAILURES = {"bounced", "rejected", "failed"}
HANDLED = FAILURES | {"deferred", "delivered", "complained"}
_CODES = re.compile(rf"\b([245]\d\d)\b(?:[ -]+({STATUS_CODE}))?", re.ASCII)
_STATUS = STATUS_RE

# ESPs whose tracking webhook anymail authenticates by a signature of their own
# (besides optional basic auth): the ANYMAIL setting that enables it.
SIGNED = {
    "mailgun": ("MAILGUN_WEBHOOK_SIGNING_KEY", "MAILGUN_API_KEY"),
    "postal": ("POSTAL_WEBHOOK_KEY",),
    "resend": ("RESEND_SIGNING_SECRET",),
    "sendgrid": ("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",),
}
# The ESPs whose tracking webhooks are mounted (anymail's others need keys or set-ups
# of their own that we do not test: Mandrill, MailerSend, Mailtrap, Unisender Go).
ESPS = (
    "amazon_ses", "brevo", "mailgun", "mailjet", "postal", "postmark", "resend", "sendgrid",
    "sparkpost",
)  # fmt: skip
# Mailgun's view cannot even be built without its key.
SIGNATURE_REQUIRED = {"mailgun"}


def authentication_configured(esp: str) -> bool:
    config = getattr(settings, "ANYMAIL", {}) or {}
    signed = any(config.get(name) for name in SIGNED.get(esp, ()))
    if esp in SIGNATURE_REQUIRED:
        return signed
    return bool(config.get("WEBHOOK_SECRET")) or signed


def _guard(view: Any, esp: str) -> Any:
    @csrf_exempt
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not authentication_configured(esp):
            return HttpResponseNotFound(
                "This webhook is off: set WEBHOOK_SECRET (and the ESP's signing key) "
                "in BUZON_ANYMAIL."
            )
        return sns.refusal(request, esp) or view(request, *args, **kwargs)

    return guarded


def urlpatterns() -> list[URLPattern]:
    """anymail's tracking webhook views, each behind `_guard`."""
    from anymail import urls as anymail_urls

    patterns = []
    for pattern in anymail_urls.urlpatterns:
        name = pattern.name or ""
        esp = name.removesuffix("_tracking_webhook")
        if esp in ESPS and isinstance(pattern, URLPattern):
            patterns.append(
                path(f"{esp}/tracking/", _guard(pattern.callback, esp), name=f"{esp}_tracking")
            )
    return patterns


# --------------------------------------------------------------------------- events


def on_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's `tracking` signal. Errors propagate: anymail answers 500 and the ESP
    retries later (recording is idempotent)."""
    handle_event(event, esp_name)


def handle_event(event: Any, esp_name: str) -> str:
    kind = getattr(event, "event_type", "") or ""
    if kind not in HANDLED:
        return "ignored"
    recipient = (getattr(event, "recipient", "") or "").strip()
    esp = str(esp_name or "esp")
    delivery = match_delivery(event)
    key = _dedupe_key(event, esp)
    if delivery is None:
        if kind == "delivered":
            return "unmatched delivered event ignored"
        _keep_unmatched(event, esp, key)
        return "unmatched"
    when = getattr(event, "timestamp", None)
    text = _text(event)
    if kind in FAILURES:
        code, status = _codes(event)
        reason, hard, who = _reason(event, code, status, text)
        done = record_failure(
            delivery,
            Failure(
                source=FailureSource.WEBHOOK,
                reply_code=code,
                enhanced_status=status,
                diagnostic=text or f"{esp}: {kind}",
                remote_mta=esp,
                reason=reason,
                hard=hard,
                dedupe_key=key,
                occurred_at=when,
                blame=who,
            ),
        )
    elif kind == "deferred":
        code, status = _codes(event)
        done = record_delay(
            delivery,
            Delay(
                enhanced_status=status,
                diagnostic=text or f"{esp}: delivery delayed",
                remote_mta=esp,
                reply_code=code,
                source=FailureSource.WEBHOOK,
                dedupe_key=key,
                occurred_at=when,
            ),
        )
    elif kind == "delivered":
        done = record_delivered(
            delivery, text=text, source=FailureSource.WEBHOOK, dedupe_key=key, occurred_at=when
        )
    else:  # complained
        done = record_complaint(
            delivery,
            feedback_type=str(getattr(event, "description", "") or "abuse")[:32],
            text=text,
            source=FailureSource.WEBHOOK,
            dedupe_key=key,
            occurred_at=when,
        )
    log.info("%s %s for delivery %s (%s): %s", esp, kind, delivery.pk, recipient, done)
    return "recorded" if done else "already recorded"


def match_delivery(event: Any) -> Delivery | None:
    recipient = (getattr(event, "recipient", "") or "").strip()
    metadata = getattr(event, "metadata", None) or {}
    token = metadata.get("buzon_return_token") if isinstance(metadata, dict) else None
    if isinstance(token, str) and token:
        delivery = Delivery.objects.filter(return_token=token.strip().lower()).first()
        if delivery is not None and (not recipient or _same(recipient, delivery.email)):
            return delivery
    message_id = str(getattr(event, "message_id", "") or "").strip()
    if message_id and recipient:
        bare = message_id.strip("<>")
        return Delivery.objects.filter(
            provider_message_id__in={message_id, bare, f"<{bare}>"}, email__lower=recipient
        ).first()
    return None


def _same(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _dedupe_key(event: Any, esp: str) -> str:
    event_id = str(getattr(event, "event_id", "") or "")
    if not event_id:
        raw = json.dumps(getattr(event, "esp_event", None), sort_keys=True, default=str)
        event_id = hashlib.sha256(raw.encode()).hexdigest()[:32]
    recipient = (getattr(event, "recipient", "") or "").lower()
    return f"webhook:{esp}:{event_id}:{recipient}:{event.event_type}"[:255]


def _text(event: Any) -> str:
    parts = [getattr(event, "mta_response", None), getattr(event, "description", None)]
    text = " — ".join(str(p) for p in parts if p)
    if not text and getattr(event, "reject_reason", None):
        esp_event = getattr(event, "esp_event", None)
        said = esp_event.get("reason") if isinstance(esp_event, dict) else None
        text = f"The ESP refused to send it ({event.reject_reason})" + (f": {said}" if said else "")
    return text[:4000]


def _codes(event: Any) -> tuple[int | None, str]:
    """The SMTP reply code and enhanced status the ESP reported, if it did."""
    esp_event = getattr(event, "esp_event", None)
    status = ""
    code: int | None = None
    if isinstance(esp_event, dict):
        found = _find_fields(esp_event, getattr(event, "recipient", "") or "")
        status = found.get("status", "")
        code = found.get("code")
    text = _text(event)
    match = _CODES.search(text)
    if match:
        code = code or int(match.group(1))
        status = status or (match.group(2) or "")
    if not status:
        found_status = _STATUS.search(text)
        status = found_status.group(1) if found_status else ""
    return code, status


def _find_fields(esp_event: dict, recipient: str) -> dict:
    """Per-recipient codes in the shapes the ESPs use (SES bouncedRecipients[].status,
    Mailgun delivery-status.code / enhanced-code, SendGrid status)."""
    found: dict[str, Any] = {}
    if isinstance(esp_event.get("event-data"), dict):  # Mailgun's JSON webhooks
        esp_event = esp_event["event-data"]
    bounce = esp_event.get("bounce")
    if isinstance(bounce, dict):
        for item in bounce.get("bouncedRecipients") or []:
            if (
                isinstance(item, dict)
                and _same(str(item.get("emailAddress", "")), recipient)
                and _STATUS.fullmatch(str(item.get("status", "")))
            ):
                found["status"] = str(item["status"])
    status = esp_event.get("delivery-status")
    if isinstance(status, dict):
        if str(status.get("code", "")).isdigit() and 200 <= int(status["code"]) < 600:
            found["code"] = int(status["code"])
        if _STATUS.fullmatch(str(status.get("enhanced-code", ""))):
            found["status"] = str(status["enhanced-code"])
    if _STATUS.fullmatch(str(esp_event.get("status", ""))):
        found.setdefault("status", str(esp_event["status"]))
    return found


# anymail's normalised reasons for an ESP's own refusal (no SMTP codes to read):
# reason, hard, and who must act.
REJECT_REASONS = {
    "invalid": ("userunknown", True, blame.ADDRESS),
    # on the ESP's list after an earlier hard bounce
    "bounced": ("userunknown", True, blame.ADDRESS),
    # the recipient marked earlier mail as spam, or unsubscribed: their choice
    "spam": ("feedback", False, blame.RECIPIENT_POLICY),
    "unsubscribed": ("rejected", False, blame.RECIPIENT_POLICY),
    "blocked": ("blocked", False, blame.SETUP),
    "timed_out": ("expired", False, blame.TRANSIENT),
}


def _reason(event: Any, code: int | None, status: str, text: str) -> tuple[str, bool, str]:
    """(reason, hard, blame) of an ESP's failure event."""
    rejected = REJECT_REASONS.get(str(getattr(event, "reject_reason", None) or ""))
    if rejected is not None and code is None and not status:
        return rejected
    reason, hard, who = classify(status or None, code, text)
    if reason in ("undefined", "onhold", "") and rejected is not None:
        return rejected
    return reason or "undefined", hard, who or blame.UNKNOWN


def _keep_unmatched(event: Any, esp: str, key: str) -> None:
    body = json.dumps(
        {
            "esp": esp,
            "event_type": event.event_type,
            "recipient": getattr(event, "recipient", None),
            "message_id": getattr(event, "message_id", None),
            "esp_event": getattr(event, "esp_event", None),
        },
        default=str,
        indent=1,
    ).encode()
    dedupe = hashlib.sha256(key.encode()).hexdigest()
    if InboundMessage.objects.filter(dedupe_key=dedupe).exists():
        return
    InboundMessage.objects.create(
        source=InboundSource.WEBHOOK,
        mail_from=esp[:100],
        rcpt_tos=[],
        raw=body,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        dedupe_key=dedupe,
        message_id=str(getattr(event, "message_id", "") or "")[:255],
        state=InboundState.UNMATCHED,
        next_attempt_at=None,
        kind=InboundKind.WEBHOOK_EVENT,
        outcome="unmatched",
        sender=(getattr(event, "recipient", "") or "")[:320].lower(),
        subject=f"{esp} {event.event_type}",
        detail=(
            f"{esp} {event.event_type} event for {getattr(event, 'recipient', '')!r} "
            f"(message id {getattr(event, 'message_id', '')!r}) matches no delivery. "
            "Nothing was changed; kept for review."
        ),
    )
