"""ESP inbound webhooks (django-anymail): mail received by an email service provider for
the support address (or a return path) and posted to Buzón, fed into the same durable
store as SMTP-received mail (source `esp`), then routed by the worker like any other.

- URLs: `/webhooks/esp/<esp>/inbound/` for Amazon SES (via SNS), Brevo, Mailgun (also
  `mailgun/inbound_mime/` for routes that post raw MIME), Postmark and SendGrid (its
  Inbound Parse, parsed or raw) — anymail's own inbound views (`INBOUND_ESPS`).
- Authentication is anymail's, as for the tracking webhooks next door (`webhooks`):
  HTTP basic auth with `WEBHOOK_SECRET` (in BUZON_ANYMAIL) for every ESP, plus
  Mailgun's HMAC signature (`MAILGUN_WEBHOOK_SIGNING_KEY`, required). **An endpoint
  whose authentication is not configured answers 404**; a post without the right
  credentials or signature gets anymail's 400 (401 for SNS's first try without
  credentials) and stores nothing. Brevo's also needs `BREVO_API_KEY` (anymail fetches
  attachments through Brevo's API). Amazon SES's posts must also carry a valid SNS
  signature from an accepted topic (`sns`), checked before anymail reads them.
- Each message (anymail's `inbound` signal, `on_inbound`) is stored with the envelope
  the ESP reported (sender, recipient; else the support address) before the view
  answers 200; a failure to store answers 500, so the ESP retries — the store's dedupe
  (the ESP's event id, else the Message-ID, with the recipient: parsed payloads are
  rebuilt with fresh MIME boundaries, so their bytes differ from post to post) keeps a
  retried post from becoming a second row.
"""

from __future__ import annotations

import logging
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from buzon.mail.inbound import sns, store
from buzon.mail.inbound.models import InboundSource
from buzon.mail.inbound.webhooks import authentication_configured

log = logging.getLogger("buzon.mail.esp_inbound")

INBOUND_ESPS = ("amazon_ses", "brevo", "mailgun", "postmark", "sendgrid")


# Settings an ESP's inbound view cannot work without (anymail fetches Brevo's
# attachments through its API).
REQUIRED = {"brevo": "BREVO_API_KEY"}


def enabled(esp: str) -> bool:
    needed = REQUIRED.get(esp)
    return authentication_configured(esp) and (
        not needed or bool((getattr(settings, "ANYMAIL", {}) or {}).get(needed))
    )


def _guard(view: Any, esp: str) -> Any:
    @csrf_exempt
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not enabled(esp):
            return HttpResponseNotFound(
                "This inbound webhook is off: set WEBHOOK_SECRET (and the ESP's signing "
                "key; for Brevo, BREVO_API_KEY) in BUZON_ANYMAIL."
            )
        return sns.refusal(request, esp) or view(request, *args, **kwargs)

    return guarded


def urlpatterns() -> list[URLPattern | URLResolver]:
    """anymail's inbound webhook views, each behind `_guard`."""
    from anymail import urls as anymail_urls

    patterns: list[URLPattern | URLResolver] = []
    for pattern in anymail_urls.urlpatterns:
        esp = (pattern.name or "").removesuffix("_inbound_webhook")
        if esp not in INBOUND_ESPS or not isinstance(pattern, URLPattern):
            continue
        view = _guard(pattern.callback, esp)
        if esp == "mailgun":  # forward() posts parsed fields, or raw MIME to inbound_mime/
            patterns.append(re_path(r"^mailgun/inbound(_mime)?/$", view, name="mailgun_inbound"))
        else:
            patterns.append(path(f"{esp}/inbound/", view, name=f"{esp}_inbound"))
    return patterns


def on_inbound(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's `inbound` signal: store the message. Errors propagate (anymail answers
    500; the ESP retries later)."""
    message = event.message
    raw = raw_bytes(message)
    recipient = str(getattr(message, "envelope_recipient", "") or "").strip()
    sender = getattr(message, "envelope_sender", None)
    if sender is None:  # not reported: the author is the closest we have
        sender = parseaddr(str(message.get("From", "") or ""))[1]
    esp = str(esp_name or "esp")
    event_id = str(getattr(event, "event_id", "") or "")
    message_id = store.message_id_of(raw)
    row = store.store(
        raw,
        str(sender).strip().strip("<>"),
        [recipient or settings.SUPPORT_ADDRESS],
        source=InboundSource.ESP,
        peer=f"{esp} inbound {event_id}".strip(),
        idempotency_key=f"{esp}:{event_id or message_id}:{recipient.lower()}"
        if event_id or message_id
        else "",
    )
    log.info("%s inbound message stored as %s (%d bytes)", esp, row.pk, row.size)


def raw_bytes(message: Any) -> bytes:
    """The message as bytes (anymail rebuilds parsed payloads as an email.message)."""
    try:
        return message.as_bytes()
    except Exception:  # a header the policy cannot serialise: keep what it can write
        return message.as_string().encode("utf-8", "surrogateescape")
