"""The thread index: every Message-ID that belongs to a ticket's conversation.

Outbound rows are written by the outbox for each email notification; the inbound side
adds a row for each email it turns into a comment. Threading headers of new emails
(In-Reply-To, References) are built from it, and inbound replies are matched to
their ticket through it (their In-Reply-To / References).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from buzon.deliveries.models import EmailNotification
from buzon.tickets.models import Comment, Ticket


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Sent by Buzón"
    INBOUND = "inbound", "Received"


class MessageReference(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="message_references")
    message_id = models.CharField(
        max_length=255, db_index=True, help_text="Without angle brackets."
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    email_notification = models.OneToOneField(
        EmailNotification,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="thread_reference",
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "message_id"], name="one_reference_per_ticket_message"
            )
        ]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"<{self.message_id}>"


# The inbound store lives in its own module; importing it here registers it with the
# `mail` app.
from buzon.mail.inbound.mailboxes import Mailbox, MailboxMessage  # noqa: E402
from buzon.mail.inbound.models import (  # noqa: E402
    InboundMessage,
    InboundState,
    UnmatchedBounce,
)

__all__ = [
    "Direction",
    "InboundMessage",
    "InboundState",
    "Mailbox",
    "MailboxMessage",
    "MessageReference",
    "UnmatchedBounce",
]
