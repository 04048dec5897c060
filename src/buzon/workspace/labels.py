"""Translated labels for values stored untranslated (statuses, reasons, sources)."""

from __future__ import annotations

import functools

from django.utils.dates import MONTHS_3
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buzon.workspace import words

STATUS_LABELS = {
    "new": pgettext_lazy("ticket status", "New"),
    "open": pgettext_lazy("ticket status", "Open"),
    "pending": pgettext_lazy("ticket status", "Pending"),
    "hold": pgettext_lazy("ticket status", "On-hold"),
    "solved": pgettext_lazy("ticket status", "Solved"),
    "closed": pgettext_lazy("ticket status", "Closed"),
}

PRIORITY_LABELS = {
    "": "—",
    "low": pgettext_lazy("priority", "Low"),
    "normal": pgettext_lazy("priority", "Normal"),
    "high": pgettext_lazy("priority", "High"),
    "urgent": pgettext_lazy("priority", "Urgent"),
}

TYPE_LABELS = {
    "": "—",
    "question": pgettext_lazy("ticket type", "Question"),
    "incident": pgettext_lazy("ticket type", "Incident"),
    "problem": pgettext_lazy("ticket type", "Problem"),
    "task": pgettext_lazy("ticket type", "Task"),
}

ROLE_LABELS = {
    "end-user": _("End user"),
    "agent": _("Agent"),
    "admin": _("Admin"),
}

# A user's language, named in the reader's language (the pickers use each one's own name).
LANGUAGE_LABELS = {
    "en": _("English"),
    "es": _("Spanish"),
}

VIA_LABELS = {
    "web": _("Web"),
    "email": _("Email"),
    "api": _("API"),
    "rule": _("Trigger"),
    "system": _("System"),
}

COLUMN_LABELS = {
    "id": _("ID"),
    "subject": _("Subject"),
    "requester": _("Requester"),
    "assignee": _("Assignee"),
    "group": _("Group"),
    "status": _("Status"),
    "priority": _("Priority"),
    "type": _("Type"),
    "created_at": _("Requested"),
    "updated_at": _("Updated"),
    "tags": _("Tags"),
}

FIELD_LABELS = {
    "subject": _("Subject"),
    "status": _("Status"),
    "priority": _("Priority"),
    "type": _("Type"),
    "requester_id": _("Requester"),
    "assignee_id": _("Assignee"),
    "group_id": _("Group"),
    "organization_id": _("Organization"),
    "tags": _("Tags"),
    "follower_ids": _("Followers"),
}

# Delivery states and sources: see buzon.workspace.glossary (one wording).

# Reason classes (Sisimai's vocabulary, see shared reference/bounce-reasons.tsv).
REASON_LABELS = {
    "userunknown": _("The address does not exist"),
    "hostunknown": _("The domain does not exist"),
    "hasmoved": _("The recipient has moved to another address"),
    "notaccept": _("The domain does not accept email"),
    "mailboxfull": _("The mailbox is full"),
    "suspend": _("The mailbox is disabled or suspended"),
    "exceedlimit": _("The message exceeds the mailbox's limit"),
    "mesgtoobig": _("The message is too large"),
    "spamdetected": _("Rejected as spam"),
    "virusdetected": _("Rejected: a virus was detected"),
    "filtered": _("Rejected by the recipient's filters"),
    "policyviolation": _("Rejected by the receiving server's policy"),
    "blocked": _("Our sending server is blocked"),
    "badreputation": _("Rejected because of our sending reputation"),
    "requireptr": _("Our sending server has no valid reverse DNS"),
    "authfailure": _("Rejected: sender authentication (SPF, DKIM, DMARC) failed"),
    "notcompliantrfc": _("Rejected: the message does not follow the email standards"),
    "securityerror": _("Rejected for a security reason"),
    "failedstarttls": _("An encrypted connection could not be established"),
    "norelaying": _("The receiving server refused to relay the message"),
    "rejected": _("The sender address was rejected"),
    "syntaxerror": _("The mail conversation failed (syntax error)"),
    "speeding": _("Too many messages too fast; the server asked us to slow down"),
    "toomanyconn": _("Too many connections to the receiving server"),
    "systemerror": _("The receiving server had an internal error"),
    "systemfull": _("The receiving server is out of space"),
    "networkerror": _("The receiving server could not be reached"),
    "expired": _("Gave up retrying"),
    "mailererror": _("The receiving mail program failed"),
    "contenterror": _("The message content was rejected"),
    "onhold": _("Held by the receiving server"),
    "undefined": _("Delivery failed for an unknown reason"),
    "suppressed": _("Not sent: the address is suppressed"),
    "vacation": _("An automatic reply, not a failure"),
}


def reason_label(reason: str) -> str:
    return words.text(REASON_LABELS.get(reason or "undefined", REASON_LABELS["undefined"]))


# Titles of the standard views and triggers (rules.standard), so the .po has them;
# templates translate a title with `{% translate view.title %}`.
STANDARD_TITLES = [
    _("Your unsolved tickets"),
    _("Unassigned tickets"),
    _("All unsolved tickets"),
    _("Tickets with email delivery failures"),
    _("Recently solved tickets"),
]


# Who must act on a failure (buzon_bounces.blame), short, for lists and the events log.
BLAME_LABELS = {
    "address": _("the recipient's address"),
    "mailbox": _("the recipient's mailbox, for now"),
    "recipient_policy": _("the recipient's filters"),
    "setup": _("our sending set-up"),
    "reputation": _("our sending reputation or rate"),
    "content": _("the message content"),
    "transient": _("a temporary problem on the way"),
    "unknown": _("unknown"),
}

# Under a comment and in the popover: who should act, in one sentence.
WHO_ACTS = {
    "address": _("The address is wrong or no longer exists: correct it in the profile."),
    "mailbox": _(
        "The recipient's mailbox cannot take it for now (full or inactive): try again later."
    ),
    "recipient_policy": _(
        "The recipient's own filters refused it: the address is fine; reach them another way."
    ),
    "setup": _(
        "The receiving server refused our sending set-up, not the address: an administrator "
        "must fix it."
    ),
    "reputation": _(
        "The receiving server limited our mail (reputation or rate), not the address: an "
        "administrator must act; try again later."
    ),
    "content": _("The message itself was refused: change the content, then send it again."),
    "transient": _("A temporary problem on the way: try again later."),
    "unknown": _("The report does not say whose fault it is: see the codes and the details."),
}


def blame_label(blame: str) -> str:
    return str(BLAME_LABELS.get(blame or "unknown", BLAME_LABELS["unknown"]))


def who_acts_label(blame: str) -> str:
    return words.text(WHO_ACTS.get(blame or "unknown", WHO_ACTS["unknown"]))


# How an unverified report named the delivery (bounce_matching's words).
MATCHED_BY_LABELS = {
    "returned Message-ID and recipient": _("the Message-ID and recipient it quotes"),
    "unsigned envelope id": _("an unsigned envelope id"),
}


def matched_by_label(value: str) -> str:
    return str(MATCHED_BY_LABELS.get(value, value))


@functools.lru_cache(maxsize=16)
def short_months(language: str) -> tuple[str, ...]:
    """The months as the date format "M" writes them in `language` (which must be the
    active one), by number (1-12): pages that date many rows format the day themselves
    rather than parse a format per row."""
    return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))
