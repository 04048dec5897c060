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
class UnverifiedReportView:
    """A report that named this delivery but could not be verified (shown, not believed)."""

    id: int
    reporter: str
    received_at: datetime | None
    matched_by: str
    action: str = ""
    reply_code: str = ""
    enhanced_status: str = ""
    diagnostic: str = ""
    reason: str = ""
    blame: str = ""
    accepted_at: datetime | None = None
    accepted_by: str = ""
    outcome: str = ""

    @property
    def codes(self) -> str:
        return " ".join(p for p in (str(self.reply_code or ""), self.enhanced_status) if p)

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None


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
    blame: str = ""  # who must act (buzon_bounces.blame), for a failure
    last_error: str = ""
    failed_at: datetime | None = None
    handed_off_at: datetime | None = None
    next_attempt_at: datetime | None = None
    expires_at: datetime | None = None
    suppressed_since: datetime | None = None  # a "suppressed" failure: since when
    cause: str = ""  # deliveries.causes: no server's answer, or what our relay refused
    cause_detail: str = ""  # the technical detail of the cause (the error as raised)
    unverified: tuple[UnverifiedReportView, ...] = ()

    @property
    def pending_unverified(self) -> tuple[UnverifiedReportView, ...]:
        """Unverified reports no agent has accepted yet."""
        return tuple(r for r in self.unverified if not r.accepted)

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
    def single_failure(self) -> RecipientStatus | None:
        """The failed recipient when exactly one recipient exists and it failed."""
        return self.failed[0] if self.variant == ONE_FAILED else None

    @property
    def blames(self) -> tuple[str, ...]:
        """Who must act, once per distinct blame among the failed, in their order."""
        return tuple(dict.fromkeys(who_acts(r) for r in self.failed))


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


# Who must act on a failure (buzon_bounces.blame's vocabulary), and what an agent can
# do about it, as keys the templates turn into sentences.
ADDRESS, MAILBOX, RECIPIENT_POLICY = "address", "mailbox", "recipient_policy"
SETUP, REPUTATION, CONTENT = "setup", "reputation", "content"
TRANSIENT, UNKNOWN_BLAME = "transient", "unknown"
BLAMES = (ADDRESS, MAILBOX, RECIPIENT_POLICY, SETUP, REPUTATION, CONTENT, TRANSIENT)
OURS = frozenset({SETUP, REPUTATION})

CHECK_ADDRESS = "check_address"
USE_SUGGESTION = "use_suggestion"
CONTACT_ANOTHER_WAY = "contact_another_way"  # ...and ask for a working address
REACH_ANOTHER_WAY = "reach_another_way"  # ...if it is urgent; the address is fine
ASK_TO_ALLOW = "ask_to_allow"
SHRINK_AND_RESEND = "shrink_and_resend"
CHANGE_CONTENT = "change_content"
RESEND_LATER = "resend_later"
LIFT_SUPPRESSION = "lift_suppression"
ASK_ADMIN = "ask_admin"
ASK_ADMIN_REPUTATION = "ask_admin_reputation"
SEE_CODES = "see_codes"

SIZE_REASONS = frozenset({"mesgtoobig", "exceedlimit"})


def who_acts(recipient: RecipientStatus) -> str:
    """The blame of a failure, as stored; "unknown" when the record has none."""
    return recipient.blame if recipient.blame in BLAMES else UNKNOWN_BLAME


def advice_for(recipient: RecipientStatus, suggestion: str | None = None) -> list[str]:
    """The actions worth suggesting for a failed (or deferred) recipient, most useful
    first. It follows who must act: only a fault of the address asks the agent to fix
    it or to get a new one; our setup and reputation go to the administrator; the
    content is changed; a spam verdict never asks the customer for a new address."""
    if recipient.deferred:
        return [RESEND_LATER, REACH_ANOTHER_WAY]
    blame = who_acts(recipient)
    advice: list[str] = []
    if recipient.failure_source == "suppressed":
        if blame == ADDRESS:
            advice += [USE_SUGGESTION] if suggestion else []
            advice += [CHECK_ADDRESS, LIFT_SUPPRESSION, CONTACT_ANOTHER_WAY]
        else:
            advice += [LIFT_SUPPRESSION, REACH_ANOTHER_WAY]
    elif blame == ADDRESS:
        advice += [USE_SUGGESTION] if suggestion else []
        advice += [CHECK_ADDRESS, CONTACT_ANOTHER_WAY]
    elif blame == MAILBOX:
        advice += [RESEND_LATER, REACH_ANOTHER_WAY]
    elif blame == RECIPIENT_POLICY:
        advice += [ASK_TO_ALLOW, REACH_ANOTHER_WAY]
    elif blame == SETUP:
        advice += [ASK_ADMIN, RESEND_LATER]
    elif blame == REPUTATION:
        advice += [ASK_ADMIN_REPUTATION, RESEND_LATER]
    elif blame == CONTENT:
        if recipient.reason in SIZE_REASONS or recipient.enhanced_status == "5.3.4":
            advice += [SHRINK_AND_RESEND]
        else:
            advice += [CHANGE_CONTENT]
    elif blame == TRANSIENT:
        advice += [RESEND_LATER, REACH_ANOTHER_WAY]
    else:
        advice += [SEE_CODES, REACH_ANOTHER_WAY]
    return list(dict.fromkeys(advice))
