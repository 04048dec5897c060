"""Who must act on a failure: the blame vocabulary.

A reason says *what* went wrong; the blame says *whose* fault it is, and so who can
fix it and whether the recipient's address may be suppressed:

- `ADDRESS`: the recipient's address, for good (no such user or domain, account gone
  or disabled for good, the domain accepts no mail). The agent must fix the address.
  The only blame that makes an address undeliverable at once.
- `MAILBOX`: the recipient's mailbox, for now (full, over quota, inactive but
  restorable). Wait, or reach the customer another way. Counts towards the
  soft-failure limit.
- `RECIPIENT_POLICY`: the recipient's own filters or rules refused this sender or
  message. Reach the customer another way; the address itself is fine.
- `SETUP`: our sending setup (IP on a blocklist, no reverse DNS, bad HELO name,
  SPF/DKIM/DMARC failure, authentication or relaying refused, our envelope sender
  refused or unroutable). The administrator must fix it; it suppresses nobody.
- `REPUTATION`: our reputation or sending rate (volume limits, too many connections,
  suspected unsolicited mail). The administrator must act; it suppresses nobody.
- `CONTENT`: the message itself (spam or virus verdict, attachment type, size, not
  standards-compliant). Change the content; never ask for a new address.
- `TRANSIENT`: network or system trouble on the way; it will likely pass.
- `UNKNOWN`: the report does not say enough.

Records that are not failures (delivered, auto-replies, complaints) have blame "".
"""

from __future__ import annotations

ADDRESS = "address"
MAILBOX = "mailbox"
RECIPIENT_POLICY = "recipient_policy"
SETUP = "setup"
REPUTATION = "reputation"
CONTENT = "content"
TRANSIENT = "transient"
UNKNOWN = "unknown"

BLAMES: tuple[str, ...] = (
    ADDRESS,
    MAILBOX,
    RECIPIENT_POLICY,
    SETUP,
    REPUTATION,
    CONTENT,
    TRANSIENT,
    UNKNOWN,
)

# Blames that are ours to fix (the delivery-health page lists them as such).
OURS = frozenset({SETUP, REPUTATION})

# The blame each reason implies when nothing else is known.
_BY_REASON: dict[str, str] = {
    "userunknown": ADDRESS,
    "hostunknown": ADDRESS,
    "hasmoved": ADDRESS,
    "notaccept": ADDRESS,
    "mailboxfull": MAILBOX,
    "suspend": MAILBOX,
    "exceedlimit": CONTENT,
    "mesgtoobig": CONTENT,
    "spamdetected": CONTENT,
    "virusdetected": CONTENT,
    "contenterror": CONTENT,
    "notcompliantrfc": CONTENT,
    "policyviolation": CONTENT,
    "filtered": RECIPIENT_POLICY,
    "blocked": SETUP,
    "requireptr": SETUP,
    "authfailure": SETUP,
    "securityerror": SETUP,
    "failedstarttls": SETUP,
    "norelaying": SETUP,
    "rejected": SETUP,
    "syntaxerror": SETUP,
    "badreputation": REPUTATION,
    "speeding": REPUTATION,
    "toomanyconn": REPUTATION,
    "systemerror": TRANSIENT,
    "systemfull": TRANSIENT,
    "networkerror": TRANSIENT,
    "expired": TRANSIENT,
    "mailererror": TRANSIENT,
    "onhold": UNKNOWN,
    "undefined": UNKNOWN,
}

_NOT_FAILURES = frozenset({"delivered", "vacation", "feedback"})


def blame_for(reason: str, status: str = "", reply_code: str = "") -> str:
    """The blame a reason implies, given the failure's status and reply code."""
    if reason in _NOT_FAILURES:
        return ""
    permanent = status.startswith("5") or reply_code.startswith("5")
    if reason == "notaccept" and not permanent:
        return TRANSIENT  # "accepts no mail" is for good only when said with a 5
    return _BY_REASON.get(reason, UNKNOWN)
