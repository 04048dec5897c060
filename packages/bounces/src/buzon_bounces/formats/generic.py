"""Text-only bounces from MTAs with no module of their own.

It looks for the lines that name a failed recipient in the ways MTAs commonly do
(`<addr>:`, an address alone on a line, "could not be delivered to: addr", ...) and
takes the text that follows each as its diagnostic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import address, reasons, smtp
from ..mail import Mail
from ._base import _HEADERISH_RE, Fact, original_recipient, split_by_recipient, squash

NAME = "generic"

_BOUNCE_SENDER_RE = re.compile(
    r"(?i)mailer-daemon|postmaster|mail delivery|mail-daemon|maildaemon|mail administrator|"
    r"system administrator|mdaemon|delivery subsystem|\bmailer\b|ndr|no-?reply"
)
_BOUNCE_SUBJECT_WORDS = (
    r"undeliver",
    r"delivery (?:status notification|failure|failed|problem|report|notification)",
    r"failure notice",
    r"failed delivery",
    r"returned mail",
    r"returning message",
    r"mail delivery",
    r"non[- ]?remis",
    r"unzustellbar",
    r"nicht zustellbar",
    r"could not be delivered",
    r"delivery has failed",
    r"not delivered",
    r"mail system error",
    r"message delivery",
    r"error sending",
    r"rejected",
    r"bounce",
    r"nondeliverable",
    r"no entregado",
    r"non recapitato",
    r"error",
    r"failure",
    r"could not send (?:mail|message|your)",  # sendmail's "Warning: could not send message"
    r"non-?delivery",
    r"not (?:yet )?been delivered",
    r"mail failed",
    r"returning to sender",
    r"failed mail",
    r"user unknown",
    r"delayed",
    r"エラー",
    r"不達",
    r"配信",
)
_BOUNCE_SUBJECT_RE = re.compile("(?i)" + "|".join(_BOUNCE_SUBJECT_WORDS))

# A line that starts with the failed address: "<addr>:", "addr ... reason", "addr on DATE".
_RECIPIENT_RE = re.compile(
    r"(?i)^\s{0,12}(?:[*\-•]\s*)?[<\"]?(?P<addr>[^\s<>\"]{1,254}@[^\s<>\":]{1,254}?)[>\"]?"
    r"\s*(?::|\.\.\.|$|\[|\(|\s+on\s|\s+(?=[A-Za-z])|\s+-\s+(?=[A-Za-z]))"
)
# Sentences after which the failed address follows, on the same line or on the next
# non-blank one ("Intended recipient: a@b", "could not be delivered to the following
# recipients:\n\n  a@b"). Written per wording family, not per sample; a space in a
# phrase matches any run of white space (line breaks included).
_INTRO_PHRASES = (
    r"could not be delivered to(?: the following (?:user|recipient|address)(?:e?s|\(e?s\))?:?)?",
    r"unable to deliver (?:the |your )?(?:message )?to",
    r"delivery to",
    r"failed to deliver to",
    r"not delivered to",
    r"rejected recipient",
    r"failed recipient",
    r"recipient address",
    r"the following (?:address|recipient)[^:\n]{0,40}:",
    r"original-recipient",
    r"unknown user",
    r"delivery failed for",
    r"delivery failed \d+ attempts",
    r"undeliverable to",
    r"no such user",
    r"user unknown",
    r"error delivering your mail to",
    r"could not deliver to",
    r"rcpt to",
    r"mailbox is full",
    # Old and unusual text-only notices.
    r"intended recipient",  # "Intended recipient: a@b"
    r"undeliverable address",  # "Undeliverable Address: a@b"
    r"invalid final delivery userid",  # SMTP32 and other Windows MTAs
    r"error-for",  # L-Soft LSMTP / LISTSERV's "Error-for:  a@b"
    r"originally addressed to",  # "(Originally addressed to a@b)"
    r"(?:message|mail),? addressed to",  # "The following message, addressed to 'a@b',"
    r"addressed to e-?mail address",  # "... addressed to email address :\n-- a@b"
    r"the address to which your message was addressed,",
    # "Your message to:\n\ta@b\n\nhas not yet been delivered" (one line: Exchange quotes
    # the returned message's "To:" under a bare "Your message").
    r"your[^\S\n]+message[^\S\n]+to",
    r"delivery of (?:e-?mail|your message) to this address",
    r"local mailbox",  # "Local mailbox a@b is unavailable"
    r"dda:smtp=",  # Exchange's X.400 form "c=US;a= ;p=ORG;...;dda:SMTP=a@b;"
    r"\[smtp:",  # Exchange / MailEnable "[SMTP:a@b]"
)
# One way only to read the white space before the address (an optional "[ \t]*:" then
# "\s*"): two adjacent white-space runs made a long blank run quadratic.
_ADDRESS_AFTER = (
    r"(?:[ \t]*[:\-]{1,2})?\s*(?:-- )?[<\"']?"
    r"(?P<addr>[^\s<>\"'()\[\]]{1,254}@[^\s<>\"'()\[\],;]{1,254})"
)


def _phrases_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        "(?i)(?:" + "|".join(p.replace(" ", r"\s+") for p in phrases) + ")" + _ADDRESS_AFTER
    )


_INTRO_RE = _phrases_re(_INTRO_PHRASES)
# The same, case-sensitive, for ASCII text lower-cased (the phrases are in lower case):
# without IGNORECASE the engine skips to the letters a phrase can start with.
_INTRO_LOWERED_RE = re.compile(_INTRO_RE.pattern.removeprefix("(?i)"))
# The phrases only a delivery notice uses, for recognising one whose sender or subject
# no table knows (a person may well write "delivery to a@b" or "your message to a@b").
_NOTICE_PHRASES = (
    r"could not be delivered to(?: the following (?:user|recipient|address)(?:e?s|\(e?s\))?:?)?",
    r"unable to deliver (?:the |your )?(?:message )?to",
    r"failed to deliver to",
    r"undeliverable to",
    r"delivery failed for",
    r"intended recipient:",
    r"undeliverable address:",
    r"invalid final delivery userid:",
    r"error-for:",
    r"the address to which your message was addressed,",
    r"delivery of (?:e-?mail|your message) to this address",
    r"dda:smtp=",
)
_NOTICE_RE = _phrases_re(_NOTICE_PHRASES)
# With neither a bounce's sender nor its subject, only a text that opens with one of
# these machine sentences is taken for a notice.
_OPENING_RE = _phrases_re(
    (
        r"\s*(?:an? |your |this |the )?(?:e-?mail |mail )?message could not be delivered to",
        r"\s*intended recipient:",
        r"\s*undeliverable address:",
        r"\s*invalid final delivery userid:",
        r"\s*error-for:",
    )
)
# Last resort: an address in angle brackets anywhere in the notification.
_BRACKETED_RE = re.compile(r"<(?P<addr>[^\s<>\"()\[\]]{1,254}@[^\s<>\"()\[\],;]{1,254})>")


# A line that is nothing but a bracketed address and a colon, or one with its reason:
# "<a@b>:" / "<a@b>: 550 ...", as qmail-like MTAs list failed recipients.
_BRACKETED_LINE_RE = re.compile(r"(?m)^[ \t]{0,4}<[^\s<>@]{1,64}@[^\s<>]{1,254}>:")


def looks_like_bounce(mail: Mail) -> bool:
    sender = bool(_BOUNCE_SENDER_RE.search(mail.sender))
    subject = bool(_BOUNCE_SUBJECT_RE.search(mail.subject))
    if (sender and subject) or mail.header("x-failed-recipients"):
        return True
    # A notice from a sender or with a subject no table knows, but worded as a bounce:
    # one of the two looks like a bounce and the text names a failed address in words
    # only delivery notices use; or the text opens with such a sentence.
    head = mail.notification[:3000]
    if not head.strip():
        return False
    if (sender or subject) and (_NOTICE_RE.search(head) or _BRACKETED_LINE_RE.search(head)):
        return True
    opening = "\n".join([line for line in head.split("\n", 12)[:12] if line.strip()][:2])
    return bool(_OPENING_RE.match(opening))


def detect(mail: Mail) -> bool:
    return looks_like_bounce(mail)


_QUOTE_RE = re.compile(r"(?m)^> ?")


def extract(mail: Mail, trust_user_unknown: bool = False) -> list[Fact]:
    """Recipients and their diagnostics from the text; `trust_user_unknown` is for formats
    known to say "user unknown" only of missing mailboxes."""
    text = mail.notification
    if text.count("\n>") > 5:  # a bounce forwarded inline by a person
        text = _QUOTE_RE.sub("", text)
    excluded = _excluded(mail)
    pairs = _first_per_address(
        [(a, d) for a, d in split_by_recipient(text, _RECIPIENT_RE) if a.lower() not in excluded]
    )
    if not pairs:
        found: list[tuple[str, str]] = []
        for count, (addr, end) in enumerate(_intro_addresses(text[:20_000])):
            if count > 200:
                break
            value = address.clean(addr)
            if value and value.lower() not in excluded and value not in [f for f, _ in found]:
                tail = text[end : end + 600].split("\n\n")[0]
                found.append((value, squash(tail)))
        pairs = found
    if not pairs:
        pairs = _bracketed(text, excluded)
    if not pairs:
        pairs = _bare_names(mail, text, excluded)
    if len(pairs) == 1 and len(pairs[0][1]) < 40:
        pairs = [(pairs[0][0], "")]  # a fragment says less than the whole notification
    failed_header = [address.clean(v) for v in mail.header("x-failed-recipients").split(",")]
    failed_header = [v for v in failed_header if v]
    if failed_header:
        known = {a.lower() for a, _ in pairs}
        pairs = [
            (a, d) for a, d in pairs if a.lower() in {f.lower() for f in failed_header}
        ] or pairs
        for value in failed_header:
            if value.lower() not in known and not pairs:
                pairs.append((value, ""))
    if not pairs:
        # The returned message's recipient, unless it is in the bounce's own domain (the
        # message went to a list or alias there, not to a remote mailbox that failed).
        recipient = original_recipient(mail)
        own = {address.domain_of(a) for a in address.find_all(mail.header("to"))}
        if not recipient or recipient.lower() in excluded or address.domain_of(recipient) in own:
            return []
        pairs = [(recipient, "")]
    whole = ""
    facts = []
    for recipient, diagnostic in pairs:
        boilerplate = False
        if not diagnostic:
            whole = whole or squash(text[:20_000])[:1000]
            diagnostic = whole
            boilerplate = True
        # An unknown MTA's "user unknown" may be a filter's answer after DATA: leave that
        # one to the classifier, which weighs it with the SMTP command.
        preset = reasons.match_text(diagnostic)
        if preset == "userunknown" and not trust_user_unknown:
            preset = ""
        if boilerplate and not preset and _says_nothing(diagnostic):
            # Nothing but the notice's own sentences ("Delivery to the following
            # recipients failed permanently: * a@b"): the report gave no reason at all.
            preset = "undefined"
        facts.append(
            Fact(recipient=recipient, diagnostic=diagnostic[:2000], reason=preset, format=NAME)
        )
    action = notice_action(text)
    for fact in facts:
        fact.action = action
    return facts


def _says_nothing(text: str) -> bool:
    """True when a notice's text names no code and matches no reason's wording."""
    if smtp.find_status(text) or smtp.find_reply_code(text):
        return False
    lowered = text.lower()
    return not any(rule.matches(lowered) for rule in reasons.RULES.values())


# A notice that gives up says so; a warning says that delivery is still being tried.
_GAVE_UP_RE = re.compile(
    r"(?i)not going to try again|i'?ve given up|\bgiving up\b|\bgave up\b|"
    r"this is a permanent error|has been in the queue too long|"
    r"occurred after \d+ attempts?(?:\(s\))? to deliver"
)
_STILL_TRYING_RE = re.compile(
    r"(?i)will continue (?:to )?(?:try|attempt)|continue trying|"
    r"ha(?:s|ve) not yet been delivered|delivery attempts will continue|"
    r"has been postponed|has been delayed|is (?:just )?a warning|warning message only|"
    r"will be retried|will retry"
)

# The same, case-sensitive, for ASCII text lower-cased (without IGNORECASE the engine
# skips to the letters a match can start with).
_GAVE_UP_LOWERED_RE = re.compile(_GAVE_UP_RE.pattern.removeprefix("(?i)"))
_STILL_TRYING_LOWERED_RE = re.compile(_STILL_TRYING_RE.pattern.removeprefix("(?i)"))


# Words each match of the two patterns above contains (lower case): an ASCII text with
# none of them has no match, and is not scanned by the patterns.
_GAVE_UP_WORDS = (
    "try again",
    "given up",
    "giving up",
    "gave up",
    "permanent error",
    "queue too long",
    " to deliver",
)
_STILL_TRYING_WORDS = (
    "continue",
    "not yet been delivered",
    "postponed",
    "been delayed",
    "warning",
    "retr",
)


def notice_action(text: str) -> str:
    """`delayed` for a warning about a message still being retried, `failed` for a
    notice that gives up, "" when the text does not say (the codes decide)."""
    head = " ".join(text[:5000].split())
    lowered = head.lower() if head.isascii() else ""
    if _matches(head, lowered, _GAVE_UP_WORDS, _GAVE_UP_RE, _GAVE_UP_LOWERED_RE):
        return "failed"
    if _matches(head, lowered, _STILL_TRYING_WORDS, _STILL_TRYING_RE, _STILL_TRYING_LOWERED_RE):
        return "delayed"
    return ""


def _matches(
    head: str,
    lowered: str,
    words: tuple[str, ...],
    pattern: re.Pattern[str],
    lowered_pattern: re.Pattern[str],
) -> bool:
    """`pattern` searched in `head`, or for ASCII text (`lowered` its lower-cased copy,
    "" otherwise) its case-sensitive twin in `lowered`, once one of `words` is there."""
    if not lowered:
        return pattern.search(head) is not None
    return _may_match(lowered, words) and lowered_pattern.search(lowered) is not None


def _may_match(lowered: str, words: tuple[str, ...]) -> bool:
    """False only for an ASCII text (lower-cased; "" for any other) with none of `words`."""
    if not lowered:
        return True
    return any(word in lowered for word in words)


def _bracketed(text: str, excluded: set[str]) -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for count, match in enumerate(_BRACKETED_RE.finditer(text[:20_000])):
        if count > 50:
            break
        value = address.clean(match.group("addr"))
        if value and value.lower() not in excluded and value.lower() not in found:
            line_start = text.rfind("\n", 0, match.start()) + 1
            if _HEADERISH_RE.match(text[line_start : match.start()]):
                continue
            tail = text[line_start : match.end() + 600].split("\n\n")[0]
            found[value.lower()] = (value, squash(tail))
    return list(found.values())


# "... the following recipients could not be delivered because ...:\n\tname": a list
# of bare mailbox names, which belong to the reporting system's own domain.
_BARE_NAMES_RE = re.compile(
    r"(?i)following (?:recipients?|users?|addresses)\b[^:]{0,200}:[ \t]*\n"
    r"(?P<names>(?:[ \t]+[a-z0-9][a-z0-9._+\-]{0,63}[ \t]*(?:\n|$)){1,20})"
)


def _bare_names(mail: Mail, text: str, excluded: set[str]) -> list[tuple[str, str]]:
    """Addresses for bare mailbox names: the returned message's recipient with that
    name, else the name at the bounce sender's domain when that is a registered domain
    (two labels: `aol.com`, not a host such as `mx2.mail.example.com`)."""
    found = _BARE_NAMES_RE.search(text[:20_000])
    if not found:
        return []
    known = {
        a.rpartition("@")[0].lower(): a
        for name in ("to", "cc")
        for a in address.find_all(mail.original_header(name))
    }
    sender = address.find_first(mail.header("from"))
    domain = address.domain_of(sender) if sender else ""
    pairs = []
    for name in found.group("names").split():
        value = known.get(name.lower()) or (
            address.clean(f"{name}@{domain}") if domain.count(".") == 1 else ""
        )
        if value and value.lower() not in excluded:
            pairs.append((value, squash(text[: found.start("names")])[-300:]))
    return pairs


def _intro_addresses(head: str) -> Iterator[tuple[str, int]]:
    """(address, where the match ends) for each `_INTRO_RE` match in `head`."""
    if head.isascii():  # lower-casing keeps every character in place
        for match in _INTRO_LOWERED_RE.finditer(head.lower()):
            yield head[match.start("addr") : match.end("addr")], match.end()
    else:
        for match in _INTRO_RE.finditer(head):
            yield match.group("addr"), match.end()


def _first_per_address(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for found, diagnostic in pairs:
        key = found.lower()
        if key not in seen or (not seen[key][1] and diagnostic):
            seen[key] = (found, diagnostic)
    return list(seen.values())


def _excluded(mail: Mail) -> set[str]:
    """Addresses that are the bounce's own parties, not failed recipients."""
    out = set()
    for name in ("from", "to", "reply-to", "sender", "return-path"):
        for found in address.find_all(mail.header(name)):
            out.add(found.lower())
    # The returned message's sender, unless it was also one of its recipients (a test
    # message sent to oneself).
    addressed = {
        found.lower()
        for name in ("to", "cc")
        for found in address.find_all(mail.original_header(name))
    }
    for found in address.find_all(mail.original_header("from")):
        if found.lower() not in addressed:
            out.add(found.lower())
    return out
