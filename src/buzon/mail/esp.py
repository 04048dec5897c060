"""Sending through an email service provider with a django-anymail backend.

Chosen with BUZON_OUTBOUND_BACKEND=<anymail backend path> (and the ESP's credentials
in BUZON_ANYMAIL, a JSON object that becomes Django's ANYMAIL setting). Each
delivery is one API call to its one recipient, carrying the same subject, bodies,
Message-ID and threading headers as the SMTP path, plus the delivery's return token
as ESP metadata (`buzon_return_token`) so the ESP's webhooks can be matched later.

Differences from SMTP, documented in docs/outbound.md: ESP APIs send to every
address named in To/Cc, so each copy shows only its own recipient; bounces come
back through the ESP's webhooks rather than to the signed return path.

The ESP's synchronous answer per recipient maps as: sent/queued → handed off (with
the ESP's message id); rejected → failed (source "webhook": the ESP refused it,
usually from its own suppression list); invalid → failed as invalid; failed,
unknown or an API error → retried later.
"""

from __future__ import annotations

import contextlib
from email import message_from_bytes, policy
from email.message import EmailMessage

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from buzon.deliveries import causes
from buzon.deliveries.models import FailureSource
from buzon.deliveries.recording import Reply, clean_text
from buzon.mail.relay import Attempt, RelayUnavailable

_COPIED_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "X-Buzon-Ticket-Id",
    "X-Buzon-Copy",
)


class EspRelay:
    name = "esp"

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.connection: BaseEmailBackend | None = None
        self.esp_name = backend

    def clone(self) -> EspRelay:
        """Another client for the same ESP (one per parallel connection)."""
        return EspRelay(self.backend)

    def open(self) -> None:
        try:
            self.connection = get_connection(self.backend, fail_silently=False)
            self.connection.open()
        except Exception as exc:
            raise RelayUnavailable(
                Reply(None, cause=causes.ESP, detail=clean_text(causes.detail_of(exc), 2000))
            ) from None
        self.esp_name = getattr(self.connection, "esp_name", self.backend)

    def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            with contextlib.suppress(Exception):
                connection.close()

    def send(self, sender: str, recipient: str, message: bytes, envid: str = "") -> Attempt:
        from anymail.exceptions import AnymailError, AnymailRecipientsRefused

        if self.connection is None:
            self.open()
        parsed = message_from_bytes(message, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        email = _django_message(parsed, recipient, envid, self.connection)
        try:
            email.send()
        except AnymailRecipientsRefused:
            pass  # the per-recipient status says which and why
        except AnymailError as exc:
            return Attempt(
                "temporary",
                self._reply(None, f"{self.esp_name}: {exc}", FailureSource.WEBHOOK),
                "DATA",
            )
        except Exception as exc:  # network trouble inside the ESP client
            return Attempt(
                "temporary",
                self._reply(None, f"{self.esp_name}: {exc}", FailureSource.WEBHOOK),
                "DATA",
            )
        status = getattr(email, "anymail_status", None)
        recipient_status = status.recipients.get(recipient) if status else None
        state = getattr(recipient_status, "status", None) or "unknown"
        message_id = str(getattr(recipient_status, "message_id", "") or "")
        if state in ("sent", "queued"):
            return Attempt(
                "accepted",
                self._reply(250, f"{self.esp_name}: {state}", FailureSource.WEBHOOK, message_id),
                "DATA",
            )
        if state == "rejected":
            return Attempt(
                "permanent",
                self._reply(None, f"{self.esp_name} rejected the recipient", FailureSource.WEBHOOK),
                "DATA",
            )
        if state == "invalid":
            return Attempt(
                "permanent",
                self._reply(
                    None,
                    f"{self.esp_name}: invalid recipient",
                    FailureSource.INVALID,
                    status="5.1.3",
                ),
                "DATA",
            )
        return Attempt(
            "temporary",
            self._reply(None, f"{self.esp_name}: {state}", FailureSource.WEBHOOK),
            "DATA",
        )

    def _reply(
        self, code: int | None, text: str, source: str, message_id: str = "", status: str = ""
    ) -> Reply:
        return Reply(
            code=code,
            enhanced_status=status,
            text=clean_text(text, 2000),
            remote_mta=str(self.esp_name),
            provider_message_id=message_id,
            source=source,
        )


def _django_message(
    parsed: EmailMessage, recipient: str, envid: str, connection: object
) -> EmailMultiAlternatives:
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    email = EmailMultiAlternatives(
        subject=str(parsed.get("Subject", "")),
        body=text_part.get_content() if text_part is not None else "",
        from_email=str(parsed.get("From", "")),
        to=[recipient],
        reply_to=[str(parsed["Reply-To"])] if parsed.get("Reply-To") else None,
        headers={h: str(parsed[h]) for h in _COPIED_HEADERS if parsed.get(h)},
        connection=connection,
    )
    if html_part is not None:
        email.attach_alternative(html_part.get_content(), "text/html")
    # anymail reads this attribute, which Django's EmailMessage does not declare.
    email.metadata = {"buzon_return_token": envid}  # type: ignore[attr-defined]
    return email
