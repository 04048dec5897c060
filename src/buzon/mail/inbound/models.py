"""The durable inbound store: every message Buzón's SMTP server (or `buzon ingest`, or
an ESP webhook) accepted, with its envelope and raw bytes, and what became of it.

A row exists (committed) before the SMTP server answers 250; the worker then routes
it exactly once (docs/inbound.md, "The store contract"):

    received ──claim (lease)──► processing ──► processed   (a comment, a ticket, a
        ▲                           │                       recorded failure, ...)
        │                           ├────────► unmatched   (a bounce that matches
        │ lease ran out /           │                       nothing we sent: kept)
        │ database hiccup           ├────────► held        (loop guard: too many
        └───────────────────────────┤                       from one sender)
                                    └────────► error       (raw bytes kept, `error`
                                                            says what went wrong)

Admins list and replay them in Django's admin and with `buzon inbound`.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buzon.tickets.models import Comment, Ticket


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received, waiting for the worker")
    PROCESSING = "processing", _("Being processed (leased)")
    PROCESSED = "processed", _("Processed")
    UNMATCHED = "unmatched", _("Unmatched bounce (kept for review)")
    HELD = "held", _("Held by the loop guard")
    ERROR = "error", _("Error (raw message kept)")


# States a worker may claim (a `processing` row only once its lease has run out).
CLAIMABLE = (InboundState.RECEIVED, InboundState.PROCESSING)


class InboundSource(models.TextChoices):
    SMTP = "smtp", _("Inbound SMTP server")
    INGEST = "ingest", _("buzon ingest (file or stdin)")
    WEBHOOK = "webhook", _("Email service provider webhook")
    IMAP = "imap", _("IMAP mailbox")
    ESP = "esp", _("Email service provider inbound webhook")


class InboundKind(models.TextChoices):
    """What the router decided the message is (empty until processed)."""

    REPLY = "reply", _("Reply or new request")
    BOUNCE = "bounce", _("Bounce (delivery status notification)")
    DELAY = "delay", _("Delay report")
    COMPLAINT = "complaint", _("Complaint (ARF)")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    WEBHOOK_EVENT = "webhook_event", _("ESP event")
    OWN = "own", _("Our own message, come back")


class InboundMessage(models.Model):
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=16, choices=InboundSource.choices)
    # The envelope, as the client gave it ("" is the null sender of bounces).
    mail_from = models.CharField(max_length=998, blank=True)
    rcpt_tos = models.JSONField(default=list)
    peer = models.CharField(max_length=255, blank=True, help_text="Client address and HELO name.")
    raw = models.BinaryField(help_text="The message exactly as received.")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    # Idempotency: one row per (envelope recipients, bytes). A client that sends the same
    # message twice (it lost our 250) gets 250 again and no second row.
    dedupe_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Without angle brackets."
    )

    state = models.CharField(
        max_length=16, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="When a worker may claim it (for a claimed one: when its lease ends).",
    )
    claimed_by = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # What the router found (set when processed, or as far as it got).
    kind = models.CharField(max_length=16, choices=InboundKind.choices, blank=True)
    outcome = models.CharField(
        max_length=64, blank=True, help_text="e.g. comment, new_ticket, failure_recorded"
    )
    detail = models.TextField(blank=True, help_text="What was done, or why it was not.")
    error = models.TextField(blank=True, help_text="What went wrong (state error).")
    sender = models.CharField(
        max_length=320, blank=True, db_index=True, help_text="From address, lower-cased."
    )
    subject = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery_ids = models.JSONField(
        default=list, blank=True, help_text="Deliveries this bounce or event was about."
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="inbound_claim_idx"),
            models.Index(fields=["sender", "received_at"], name="inbound_sender_idx"),
        ]

    def __str__(self) -> str:
        who = self.sender or self.mail_from or "<>"
        what = self.subject or self.message_id or f"{self.size} bytes"
        return f"#{self.pk} {self.state}: {who} — {what}"[:300]


class UnmatchedBounceManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(state=InboundState.UNMATCHED)


class UnmatchedBounce(InboundMessage):
    """Bounces (and ESP events) that matched nothing we sent, or carried a forged
    token: they change nothing on any ticket and are kept for admins to review. The
    delivery health page lists them."""

    objects: ClassVar[UnmatchedBounceManager] = UnmatchedBounceManager()

    class Meta:
        proxy = True
        ordering = ["-id"]

    def __str__(self) -> str:
        when = timezone.localtime(self.received_at).strftime("%Y-%m-%d %H:%M")
        why = self.detail.splitlines()[0] if self.detail else "no match"
        return f"{when} from {self.sender or self.mail_from or '<>'}: {why}"[:300]
