"""What to show under a comment about the delivery of its notification(s).

Pure logic, no Django: the template only renders what `summarize` decides.

The seed's three variants, for the recipients of one comment's notifications:

- one recipient, and it failed      -> ONE_FAILED  (the reason and the codes are shown)
- several recipients, all failed    -> ALL_FAILED  ("Failed to deliver")
- several recipients, some failed   -> SOME_FAILED ("Failed to deliver to some recipients")

Only failed recipients get a warning icon. Recipients still being retried are
`deferred` (not failed: the line says "retrying until ..."), and recipients not
sent yet are `pending`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Delivery states (buzon.deliveries.Delivery.state).
QUEUED, SENDING, DEFERRED, HANDED_OFF, DELIVERED, FAILED = (
    "queued", "sending", "deferred", "handed_off", "delivered", "failed",
)  # fmt: skip
UNKNOWN = ""  # no delivery record (the outbox makes one per recipient)
PENDING_STATES = frozenset({QUEUED, SENDING})

# When one address appears in two notifications of the same comment, the worst wins.
_SEVERITY = {FAILED: 5, DEFERRED: 4, SENDING: 3, QUEUED: 2, UNKNOWN: 1, HANDED_OFF: 0, DELIVERED: 0}

NONE_FAILED = "none_failed"
ONE_FAILED = "one_failed"
ALL_FAILED = "all_failed"
SOME_FAILED = "some_failed"


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient of a comment's notification and what became of the email."""

    email: str
    name: str = ""
    kind: str = "to"  # "to" | "cc"
    state: str = UNKNOWN
    user_id: int | None = None
    delivery_id: int | None = None
    attempts: int = 0
    reply_code: str = ""
    enhanced_status: str = ""
    reason: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    failure_source: str = ""  # smtp | dsn | webhook | suppressed | expired | invalid
    hard: bool = False
    last_error: str = ""
    failed_at: datetime | None = None
    handed_off_at: datetime | None = None
    next_attempt_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.state == FAILED

    @property
    def deferred(self) -> bool:
        return self.state == DEFERRED

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def codes(self) -> str:
        """ "550 5.1.1", "552", "5.2.2" or ""."""
        return " ".join(part for part in (str(self.reply_code or ""), self.enhanced_status) if part)

    @property
    def display_name(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class DeliverySummary:
    variant: str
    recipients: tuple[RecipientStatus, ...]

    @property
    def failed(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.failed)

    @property
    def deferred(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.deferred)

    @property
    def pending(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.pending)

    @property
    def has_problem(self) -> bool:
        return self.variant != NONE_FAILED or bool(self.deferred)

    @property
    def single_failure(self) -> RecipientStatus | None:
        """The failed recipient when exactly one recipient exists and it failed."""
        return self.failed[0] if self.variant == ONE_FAILED else None

    @property
    def failure_kinds(self) -> int:
        """How many different failures (reason + codes) there are among the failed."""
        return len({(r.reason, r.codes) for r in self.failed})


def merge_recipients(recipients: Iterable[RecipientStatus]) -> tuple[RecipientStatus, ...]:
    """One entry per address (case-insensitive), the worst state winning; To before Cc."""
    by_address: dict[str, RecipientStatus] = {}
    for recipient in recipients:
        key = recipient.email.strip().lower()
        seen = by_address.get(key)
        if seen is None or _SEVERITY.get(recipient.state, 1) > _SEVERITY.get(seen.state, 1):
            by_address[key] = recipient
    ordered = sorted(by_address.values(), key=lambda r: 0 if r.kind == "to" else 1)
    return tuple(ordered)


def summarize(recipients: Iterable[RecipientStatus]) -> DeliverySummary:
    merged = merge_recipients(recipients)
    failed = [r for r in merged if r.failed]
    if not failed:
        variant = NONE_FAILED
    elif len(merged) == 1:
        variant = ONE_FAILED
    elif len(failed) == len(merged):
        variant = ALL_FAILED
    else:
        variant = SOME_FAILED
    return DeliverySummary(variant=variant, recipients=merged)


def shows_warning_icon(recipient: RecipientStatus) -> bool:
    """Only recipients whose delivery failed get the warning icon."""
    return recipient.failed


# What an agent can do about a failure, as keys the templates turn into sentences.
CHECK_ADDRESS = "check_address"
USE_SUGGESTION = "use_suggestion"
CONTACT_ANOTHER_WAY = "contact_another_way"
SHRINK_AND_RESEND = "shrink_and_resend"
RESEND_LATER = "resend_later"
LIFT_SUPPRESSION = "lift_suppression"
ASK_ADMIN = "ask_admin"

ADDRESS_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept", "rejected"})
USER_FIXABLE_REASONS = frozenset({"mailboxfull", "suspend", "exceedlimit", "filtered", "vacation"})
SIZE_REASONS = frozenset({"mesgtoobig"})
SENDER_REASONS = frozenset({
    "blocked", "badreputation", "requireptr", "authfailure", "notcompliantrfc", "securityerror",
    "failedstarttls", "norelaying", "policyviolation", "spamdetected", "virusdetected",
    "syntaxerror", "systemerror", "mailererror", "contenterror", "networkerror",
})  # fmt: skip


def advice_for(recipient: RecipientStatus, suggestion: str | None = None) -> list[str]:
    """The actions worth suggesting for a failed (or deferred) recipient, most useful first."""
    if recipient.deferred:
        return [RESEND_LATER, CONTACT_ANOTHER_WAY]
    reason = recipient.reason
    status = recipient.enhanced_status
    advice: list[str] = []
    if suggestion:
        advice.append(USE_SUGGESTION)
    if recipient.failure_source == "suppressed":
        advice += [CHECK_ADDRESS, LIFT_SUPPRESSION, CONTACT_ANOTHER_WAY]
    elif (
        reason in ADDRESS_REASONS
        or recipient.failure_source == "invalid"
        or status.startswith(("5.1.", "4.1."))
    ):
        advice += [CHECK_ADDRESS, CONTACT_ANOTHER_WAY]
    elif reason in SIZE_REASONS or status == "5.3.4":
        advice += [SHRINK_AND_RESEND]
    elif reason in USER_FIXABLE_REASONS or status.startswith(("5.2.", "4.2.")):
        advice += [CONTACT_ANOTHER_WAY, RESEND_LATER]
    elif reason in SENDER_REASONS or status.startswith("5.7."):
        advice += [ASK_ADMIN, CONTACT_ANOTHER_WAY]
    else:
        advice += [CHECK_ADDRESS, CONTACT_ANOTHER_WAY]
    return list(dict.fromkeys(advice))
