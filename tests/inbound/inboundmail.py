"""Helpers for inbound tests: messages as mail clients and mail servers write them,
and storing + processing them as the SMTP server and the worker do."""

from __future__ import annotations

import secrets
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.mail.inbound import store
from buzon.mail.inbound.models import InboundMessage, InboundSource
from buzon.mail.inbound.processor import InboundProcessor
from buzon.mail.sandbox import Rule, build_dsn
from buzon.mail.verp import return_path
from buzon.tickets.models import Ticket


def email_of(ticket: Ticket) -> EmailNotification:
    """The ticket's latest email notification."""
    return EmailNotification.objects.filter(ticket=ticket).order_by("-id").first()


def message(
    *,
    sender: str,
    subject: str = "Re: Factura duplicada",
    body: str = "Gracias, ya funciona.",
    to: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to or settings.SUPPORT_ADDRESS
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = f"<{message_id or secrets.token_hex(8) + '@mail.example.com'}>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def reply(
    email: EmailNotification,
    sender: str,
    body: str = "Gracias, ya funciona.",
    *,
    quote: bool = True,
    **kwargs,
) -> bytes:
    """A mail client's reply to one of our notifications (In-Reply-To set)."""
    text = body
    if quote:
        text += (
            f"\n\nOn Mon, 3 Mar 2025 at 10:00, Buzón <{settings.SUPPORT_ADDRESS}> wrote:\n"
            + "\n".join(f"> {line}" for line in email.subject.splitlines())
            + "\n> Your request has been updated.\n"
        )
    headers = {"In-Reply-To": f"<{email.message_id}>", "References": f"<{email.message_id}>"}
    headers.update(kwargs.pop("headers", {}))
    return message(
        sender=sender,
        subject=kwargs.pop("subject", "Re: " + email.subject),
        body=text,
        headers=headers,
        **kwargs,
    )


def dsn(
    delivery: Delivery,
    *,
    stage: str = "BOUNCE",
    code: int = 550,
    status: str = "5.1.1",
    text: str = "User unknown",
    recipient: str | None = None,
) -> bytes:
    """A real RFC 3464 report about a delivery (the sandbox's builder), with the
    original message's headers attached."""
    rule = Rule(("x",), stage, code, status, text, "test")
    original = (delivery.email_notification.raw_message or "").encode()
    return build_dsn(
        return_path(delivery.return_token), recipient or delivery.email, rule, original
    )


def ingest(
    raw: bytes,
    mail_from: str | None = None,
    rcpt_tos: list[str] | None = None,
    *,
    peer: str = "",
) -> InboundMessage:
    """Store a message as the SMTP server does, then let a worker process the queue.
    The envelope sender is the From address unless given ("" is the null sender)."""
    if mail_from is None:
        from email import message_from_bytes
        from email.utils import parseaddr

        mail_from = parseaddr(str(message_from_bytes(raw).get("From", "")))[1]
    row = store.store(
        raw, mail_from, rcpt_tos or [settings.SUPPORT_ADDRESS], source=InboundSource.SMTP, peer=peer
    )
    process_all()
    row.refresh_from_db()
    return row


def process_all(worker_id: str = "test-worker") -> InboundProcessor:
    processor = InboundProcessor(worker_id)
    while processor.run_batch():
        pass
    return processor


# --------------------------------------------------------------- real processes

SRC = Path(__file__).resolve().parents[2] / "src"

# Cross-process tests need committed data (and flush afterwards): keep the seeded
# standard triggers by restoring the serialized database after each test.
live_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def database_url() -> str:
    """The test database, as a URL another process can use."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
