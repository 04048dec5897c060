"""Delivery status of every outbound email, per recipient (Zendesk's "email
notifications" with their recipients' `delivery_status`).

    tickets.Notification ──1:1── EmailNotification ──1:n── Delivery ──1:n── DeliveryEvent
    tickets.NotificationRecipient ──1:1── Delivery
    Suppression: one row per address that must not be mailed (while active)

Other apps (workspace, API, search) read these models; only `buzon.mail` (the outbox
and the worker) and `buzon.deliveries.recording` write them. The plain fields are the
contract: see docs/outbound.md for what each state and field means.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buzon.tickets.models import (
    AppendOnlyModel,
    Comment,
    Notification,
    NotificationRecipient,
    RecipientKind,
    Ticket,
    User,
)


class DeliveryState(models.TextChoices):
    """Where one recipient's copy is.

    `handed_off` means the next hop (our relay, or the ESP) accepted it: that is what
    Zendesk calls DELIVERED. `delivered` is stronger and only comes from a positive
    delivery status notification (DSN) or an ESP's delivery webhook.
    """

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DEFERRED = "deferred", _("Deferred (will retry)")
    HANDED_OFF = "handed_off", _("Handed off to the next hop")
    DELIVERED = "delivered", _("Delivered (confirmed)")
    FAILED = "failed", _("Failed")


# States a worker may claim once `next_attempt_at` has passed. A `sending` row is
# claimable again when its lease has run out (its next_attempt_at is the lease's end).
CLAIMABLE_STATES = (DeliveryState.QUEUED, DeliveryState.DEFERRED, DeliveryState.SENDING)


class FailureSource(models.TextChoices):
    """Who told us a delivery failed."""

    SMTP = "smtp", _("SMTP answer")
    DSN = "dsn", _("Bounce (DSN)")
    WEBHOOK = "webhook", _("Email service provider")
    SUPPRESSED = "suppressed", _("Not sent: address suppressed")
    EXPIRED = "expired", _("Retried until it expired")
    INVALID = "invalid", _("Not sent: invalid address or message")


class EventKind(models.TextChoices):
    QUEUED = "queued", _("Queued")
    ATTEMPT = "attempt", _("Attempt")
    DEFERRED = "deferred", _("Deferred")
    HANDED_OFF = "handed_off", _("Handed off")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    EXPIRED = "expired", _("Expired")
    DELAYED = "delayed", _("Delayed (reported by a later hop)")
    DELIVERED = "delivered", _("Delivered")
    COMPLAINT = "complaint", _("Complaint")


class EmailNotification(models.Model):
    """The email one notification became (Zendesk's email notification; its
    `notification_id` is `notification.pk`).

    The message is built once, when the notification is recorded, and stored as sent:
    every recipient and every retry gets the same bytes, only the envelope differs.
    """

    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="email_notifications")
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_notifications",
    )
    message_id = models.CharField(
        max_length=255,
        unique=True,
        help_text="The Message-ID we generated, WITHOUT angle brackets (id-left@id-right).",
    )
    subject = models.CharField(max_length=998, help_text="The Subject as sent (decoded).")
    in_reply_to = models.CharField(
        max_length=255, blank=True, help_text="Parent Message-ID, without angle brackets."
    )
    references = models.TextField(
        blank=True, help_text="The References chain, space separated, without angle brackets."
    )
    raw_message = models.TextField(
        blank=True, help_text="The RFC 5322 message as sent (7-bit ASCII, CRLF line ends)."
    )
    build_error = models.TextField(
        blank=True, help_text="Why the message could not be built (then nothing is sent)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"<{self.message_id}>"


class Delivery(models.Model):
    """One recipient's copy of an email notification: its envelope, its retries and
    what finally happened to it (Zendesk's recipient `delivery_status`).
    """

    recipient = models.OneToOneField(
        NotificationRecipient, on_delete=models.CASCADE, related_name="delivery"
    )
    email_notification = models.ForeignKey(
        EmailNotification, on_delete=models.CASCADE, related_name="deliveries"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    email = models.CharField(max_length=320)
    name = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=4, choices=RecipientKind.choices)

    state = models.CharField(
        max_length=16,
        choices=DeliveryState.choices,
        default=DeliveryState.QUEUED,
        help_text="handed_off = accepted by the next hop (Zendesk's DELIVERED); "
        "delivered = confirmed by a positive DSN or ESP webhook.",
    )
    attempts = models.PositiveIntegerField(
        default=0, help_text="SMTP (or ESP) conversations held for this recipient."
    )
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker may claim it (for a claimed one: when its lease ends); "
        "empty once nothing more is to be done.",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="Retries stop here: it fails as expired.")
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    return_token = models.CharField(
        max_length=32,
        unique=True,
        help_text="Random public part of the signed return path (VERP) of this copy.",
    )
    provider_message_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="The ESP's id for this copy."
    )

    # The failure (or, while deferred, nothing but last_error).
    failure_source = models.CharField(max_length=16, choices=FailureSource.choices, blank=True)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    diagnostic = models.TextField(blank=True, help_text="As the remote server said it.")
    remote_mta = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=32, blank=True, help_text="Reason class, e.g. userunknown")
    hard = models.BooleanField(default=False, help_text="Not worth retrying (permanent).")
    blame = models.CharField(
        max_length=16,
        blank=True,
        help_text="Who must act (buzon_bounces.blame): address, mailbox, recipient_policy, "
        "setup, reputation, content, transient or unknown; empty unless failed.",
    )
    zendesk_status_id = models.PositiveSmallIntegerField(default=0)
    zendesk_status_name = models.CharField(max_length=64, default="NONE")
    zendesk_status_code = models.CharField(max_length=16, default="0")
    last_error = models.TextField(
        blank=True, help_text="The latest temporary error (4xx, network) while deferred."
    )
    # What our side knows when no server's words say it (deliveries.causes).
    cause = models.CharField(
        max_length=16,
        blank=True,
        help_text="Why the last attempt has no server's answer (refused, timeout, tls, "
        "closed, dns, network, esp, internal), what the relay refused (relay_refused, "
        "sender_refused) or why nothing was sent (invalid_address, unbuildable); empty "
        "when a server answered.",
    )
    cause_detail = models.TextField(
        blank=True, help_text="The technical detail of the cause (the error as raised)."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_claim_idx"),
            # The delivery-health page: failures that are ours to fix, by time.
            models.Index(fields=["blame", "failed_at"], name="delivery_blame_idx"),
            # A person's profile: the deliveries to their addresses, in any case.
            models.Index(Lower("email"), name="delivery_email_lower_idx"),
            # A profile's failures, newest first, and each address's last failure: read
            # from this small index (the failed deliveries only), not from every copy.
            models.Index(
                Lower("email"),
                F("failed_at").desc(),
                F("id").desc(),
                condition=Q(state="failed"),
                name="delivery_failed_email_idx",
            ),
            # An open ticket page's live check reads (id, updated_at) of the ticket's
            # deliveries from this index alone (buzon.workspace.live).
            models.Index(fields=["ticket", "updated_at", "id"], name="delivery_live_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.state})"

    @property
    def failed(self) -> bool:
        return self.state == DeliveryState.FAILED


class DeliveryEvent(AppendOnlyModel):
    """The history of one delivery, append-only. `dedupe_key` (unique per delivery)
    makes recording idempotent: the same bounce seen twice adds nothing."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    source = models.CharField(max_length=16, blank=True)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    text = models.TextField(blank=True)
    # NULL, not "": events without a key must not collide in the unique constraint.
    dedupe_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "dedupe_key"], name="one_delivery_event_per_dedupe_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reply_code or ''} {self.enhanced_status}".strip()


class UnverifiedReport(models.Model):
    """A report about a delivery that Buzón could not verify: it names the delivery
    (by its returned Message-ID and recipient, or an unsigned envelope id) but came
    neither to a signed return path nor from a trusted reporter, so anyone who saw
    the email could have written it. It is shown on the delivery and changes nothing
    (no status, identity, suppression or tag) until an agent accepts it; accepting
    records it like any other report, audited in that agent's name.
    """

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="unverified_reports"
    )
    received_at = models.DateTimeField(default=timezone.now)
    inbound_message_id = models.BigIntegerField(
        null=True, blank=True, help_text="The stored message (mail.inbound) it came in."
    )
    reporter = models.CharField(
        max_length=320, blank=True, help_text="Who sent it: From address, else envelope sender."
    )
    peer = models.CharField(max_length=255, blank=True, help_text="The client that delivered it.")
    matched_by = models.CharField(max_length=64, help_text="How it names the delivery.")
    action = models.CharField(max_length=16, blank=True)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    diagnostic = models.TextField(blank=True)
    reason = models.CharField(max_length=32, blank=True)
    blame = models.CharField(max_length=16, blank=True)
    record = models.JSONField(default=dict, help_text="The parsed report record, as read.")
    dedupe_key = models.CharField(max_length=255)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=255, blank=True, help_text="What accepting it recorded.")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "dedupe_key"], name="one_unverified_report_per_dedupe_key"
            )
        ]

    def __str__(self) -> str:
        codes = " ".join(str(c) for c in (self.reply_code, self.enhanced_status) if c)
        return f"unverified {self.action or 'report'} from {self.reporter or '<>'}: {codes}"

    @property
    def codes(self) -> str:
        return " ".join(str(c) for c in (self.reply_code, self.enhanced_status) if c)


def _suppression_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.SUPPRESSION_DAYS)


class Suppression(models.Model):
    """An address Buzón does not mail until the suppression expires or is lifted.

    Created by a hard failure, or by SOFT_FAILURE_LIMIT soft failures in a row. The
    user identity's `deliverable_state` mirrors it for display; this table decides.
    """

    address = models.CharField(max_length=320, unique=True, help_text="Lower-cased.")
    reason = models.CharField(max_length=32)
    reply_code = models.PositiveSmallIntegerField(null=True, blank=True)
    enhanced_status = models.CharField(max_length=16, blank=True)
    diagnostic = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=FailureSource.choices)
    delivery = models.ForeignKey(
        Delivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The failure that (last) caused it.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_suppression_expiry)
    lifted_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when lifted by an agent, or once expired."
    )
    lifted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.address

    @property
    def active(self) -> bool:
        return self.lifted_at is None and self.expires_at > timezone.now()


from buzon.deliveries.counts import DeliveryCount, DeliveryCountDelta  # noqa: E402, F401
