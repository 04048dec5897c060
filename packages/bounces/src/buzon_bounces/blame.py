"""Who must act on a failure: the blame vocabulary and how it is decided.

A reason says *what* went wrong; the blame says *whose* fault it is, and so who can
fix it and whether the recipient's address may be suppressed:

- `ADDRESS`: the recipient's address, for good (no such user or domain, account gone
  or disabled for good, the domain accepts no mail). The agent must fix the address.
  The only blame that makes an address undeliverable at once.
- `MAILBOX`: the recipient's mailbox, for now (full, over quota, inactive but
  restorable, receiving too much mail). Wait, or reach the customer another way.
  Counts towards the soft-failure limit.
- `RECIPIENT_POLICY`: the recipient's own filters or rules refused this sender or
  message. Reach the customer another way; the address itself is fine.
- `SETUP`: our sending setup (IP on a blocklist, no reverse DNS, bad HELO name,
  SPF/DKIM/DMARC failure, authentication or relaying refused, our envelope sender
  refused or unroutable). The administrator must fix it; it suppresses nobody.
- `REPUTATION`: our reputation or sending rate (volume limits, too many connections,
  too many unknown recipients, suspected unsolicited mail). The administrator must
  act; it suppresses nobody.
- `CONTENT`: the message itself (spam or virus verdict, attachment type, size, not
  standards-compliant). Change the content; never ask for a new address.
- `TRANSIENT`: network or system trouble on the way; it will likely pass.
- `UNKNOWN`: the report does not say enough.

Records that are not failures (delivered, auto-replies, complaints) have blame "".

`decide` weighs, in this order, what can only point one way:

1. the enhanced status code, where RFC 3463 and its successors give it one meaning
   about a side (x.1.7 / x.1.8: our envelope sender; x.7.20-x.7.27, x.7.29, x.7.30:
   our authentication, reverse DNS, sender null MX or TLS; x.7.28: a mail flood;
   x.1.1, x.1.2, x.1.3, x.1.6, x.1.10, x.7.17, x.7.18: the recipient's address;
   x.2.0-x.2.2: the recipient's mailbox, for a reading that says too little itself);
2. the SMTP stage: before RCPT (greeting, EHLO, MAIL FROM) no recipient has been
   named, so the refusal is about our host or our sender, never the recipient's
   address or mailbox; before DATA no content has been sent, so a spam or policy
   verdict there judges us, not the message;
3. the reason, read from the status and the wording together (`buzon_bounces.reasons`),
   and within a reason the wording family that says whose problem it is (a refusal
   that names our envelope sender, a receiving rate of the recipient's against a
   sending rate of ours, an account closed for good against one that is only
   disabled).

A phrase never outweighs a status code or a stage that point elsewhere: wordings are
only consulted for what the status and the stage leave open.
"""

from __future__ import annotations

import re

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

# What an enhanced status code says about the side at fault, by "subject.detail" (the
# class only says whether it is for good). Codes missing here leave it to the wording:
# x.7.1 in particular is every receiver's catch-all refusal.
_STATUS_SIDE: dict[str, str] = {
    # RFC 3463: bad sender's mailbox address syntax / bad sender's system address.
    # (Postfix maps every refusal of a sender address to these two, so that "the
    # critical distinction between sender and recipient problems" is kept.)
    "1.7": SETUP,
    "1.8": SETUP,
    # RFC 7372: no passing DKIM signature, no acceptable one, no author-matched one,
    # SPF validation failed, SPF validation error, reverse DNS validation failed,
    # multiple authentication checks failed. RFC 7505: sender address has null MX.
    # RFC 8617: ARC validation failure. RFC 8689: REQUIRETLS support required.
    "7.20": SETUP,
    "7.21": SETUP,
    "7.22": SETUP,
    "7.23": SETUP,
    "7.24": SETUP,
    "7.25": SETUP,
    "7.26": SETUP,
    "7.27": SETUP,
    "7.29": SETUP,
    "7.30": SETUP,
    # Registry: mail flood detected.
    "7.28": REPUTATION,
    # RFC 3463: bad destination mailbox address, bad destination system address, bad
    # destination mailbox address syntax, mailbox has moved. RFC 7505: recipient address
    # has null MX. RFC 7293: mailbox owner has changed, domain owner has changed.
    "1.1": ADDRESS,
    "1.2": ADDRESS,
    "1.3": ADDRESS,
    "1.6": ADDRESS,
    "1.10": ADDRESS,
    "7.17": ADDRESS,
    "7.18": ADDRESS,
    # RFC 3463: other mailbox status, mailbox disabled, mailbox full.
    "2.0": MAILBOX,
    "2.1": MAILBOX,
    "2.2": MAILBOX,
}

# Stages at which no recipient has been named yet, and before which no content has.
_BEFORE_RCPT = frozenset({"CONN", "EHLO", "HELO", "MAIL", "STARTTLS", "AUTH"})
_BEFORE_DATA = _BEFORE_RCPT | {"RCPT"}

# Reasons about the message's content (size excepted: a SIZE= announced at MAIL FROM is
# the message's own, whatever the stage).
_VERDICTS_ON_CONTENT = frozenset(
    {"spamdetected", "virusdetected", "contenterror", "notcompliantrfc", "policyviolation"}
)

# A refusal that names our envelope sender as the thing refused: Postfix's "Sender
# address rejected", Exim's sender verification ("Verification failed for <s>",
# "Sender verify failed"), sendmail's "Domain of sender address ... does not exist".
SENDER_REFUSED = re.compile(
    r"sender address rejected|sender verify failed|sender verification failed"
    r"|verification failed for <|callback setup failed while verifying"
    r"|domain of sender address|sender address has null mx|unroutable sender"
    r"|sender domain (?:does not exist|not found|must exist|is invalid)"
    r"|unresolvable rfc\.?5321 from domain|invalid sender domain"
)


# A refusal about the volume of bad recipients we sent to: a judgement on our sending,
# not on the address at hand.
BAD_RECIPIENT_VOLUME = re.compile(
    r"(?:too many|excessive|high (?:number|rate) of) (?:invalid|unknown|bad|non-?existent)"
    r" (?:recipients|users|addresses)"
)


def sender_refused(text: str) -> bool:
    """Whether `text` (lower case) refuses our envelope sender: `SENDER_REFUSED`, tried
    only where one of the words its every wording holds is."""
    if "sender" not in text and "verif" not in text and "from domain" not in text:
        return False
    return SENDER_REFUSED.search(text) is not None


def bad_recipient_volume(text: str) -> bool:
    """Whether `text` (lower case) refuses our volume of bad recipients:
    `BAD_RECIPIENT_VOLUME`, tried only where one of the words it ends with is."""
    if "recipients" not in text and "users" not in text and "addresses" not in text:
        return False
    return BAD_RECIPIENT_VOLUME.search(text) is not None


# A receiving rate of the recipient's (their mailbox takes mail too fast), as against a
# sending rate of ours; "from specific sender" names our rate to that recipient.
_RECIPIENT_RATE = re.compile(
    r"(?:user|recipient)[^.]{0,40} (?:is )?receiving (?:e-?)?mail"
    r"|receiving (?:e-?)?mail (?:too quickly|at a rate)"
    r"|recipient'?s per hour message receive limit exceeded"
    r"|recipient thread limit exceeded"
)
_OUR_RATE = re.compile(r"from (?:a )?specific sender|from this sender|per sender")

# An account closed for good, as against one disabled, inactive or frozen (which the
# owner can restore: RFC 3463 says x.2.1 "may be a permanent error ... or a transient
# error", and Google documents disabled accounts as restorable).
_GONE_FOR_GOOD = re.compile(
    r"\b(?:terminated|discontinued|deleted|closed|cancell?ed|no longer (?:valid|exists?))\b"
)

# The recipient's own organisation refused us: its allow or block lists, its group or
# mailbox restrictions (Exchange's RESOLVER.RST.* codes), its administrator's policy.
_RECIPIENT_LISTS = re.compile(
    r"not in whitelist|not on the allow ?list|customer block list|rejected by recipient"
    r"|blocked by recipient|resolver\.rst\.|envelope blocked|blocked senders? (?:list|policy)"
    r"|has a policy that prohibit"
)

# "Unsolicited" mail is a judgement on the sender's mail stream, not on one message.
_UNSOLICITED = re.compile(r"\bunsolicited\b")


def decide(
    reason: str,
    status: str = "",
    reply_code: str = "",
    command: str = "",
    text: str = "",
    *,
    gone: bool = False,
) -> str:
    """Who must act on one failure.

    `status` and `reply_code` are the failure's codes, `command` the SMTP stage it
    happened at ("" when unknown), `text` the diagnostic (any case). `gone` says that
    the receiving provider documents this refusal as an account closed for good.
    """
    if reason in _NOT_FAILURES:
        return ""
    text = text.lower()
    permanent = status.startswith("5") if status else reply_code.startswith("5")
    before_rcpt = command in _BEFORE_RCPT
    side = _STATUS_SIDE.get(status[2:], "")
    blame = _BY_REASON.get(reason, UNKNOWN)
    if side == SETUP:
        # Our setup, or our reputation where the wording says it is that.
        return REPUTATION if blame == REPUTATION else SETUP
    if side == REPUTATION:
        return REPUTATION
    if (
        side == ADDRESS
        and permanent
        and not before_rcpt
        and (blame in (ADDRESS, UNKNOWN, RECIPIENT_POLICY) or reason == "suspend")
        and not sender_refused(text)
    ):
        # The code names the recipient's address; the reason agrees, or says too little
        # to disagree ("inactive email address" under 5.1.1 is an account gone). A reason
        # the wording made specific elsewhere (a full mailbox, a rate limit quoted under
        # a reporting MTA's 5.1.1) keeps its own blame.
        return ADDRESS
    if side == MAILBOX and blame in (UNKNOWN, RECIPIENT_POLICY) and not before_rcpt:
        # A vague reading (a filter's "User Unknown" after DATA) under a code that says
        # the mailbox is disabled or full: the mailbox's, for now.
        return MAILBOX
    if blame in (ADDRESS, MAILBOX) and before_rcpt:
        return SETUP  # nothing about a recipient can be refused before RCPT TO
    if blame == ADDRESS:
        if sender_refused(text):
            return SETUP
        if bad_recipient_volume(text):
            return REPUTATION
        return ADDRESS if permanent else TRANSIENT
    if reason == "suspend":
        return ADDRESS if permanent and (gone or _GONE_FOR_GOOD.search(text)) else MAILBOX
    if reason == "speeding":
        if _RECIPIENT_RATE.search(text) and not _OUR_RATE.search(text):
            return MAILBOX
        return REPUTATION
    if blame == CONTENT and reason in _VERDICTS_ON_CONTENT:
        if reason == "spamdetected" and _UNSOLICITED.search(text):
            return REPUTATION
        if command in _BEFORE_DATA and not _RECIPIENT_LISTS.search(text):
            return REPUTATION  # judged before any content was sent: a verdict on us
    if (blame in (SETUP, UNKNOWN) or reason in _VERDICTS_ON_CONTENT) and _RECIPIENT_LISTS.search(
        text
    ):
        return RECIPIENT_POLICY
    return blame


def blame_for(reason: str, status: str = "", reply_code: str = "") -> str:
    """The blame a reason implies from its codes alone (no stage, no wording)."""
    return decide(reason, status, reply_code)
