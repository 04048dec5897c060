"""Reason classes for SMTP answers: a small fallback classifier.

`buzon.bounces` (not merged yet) will provide the real one, with the same signature:
`classify(status, reply_code, diagnostic, remote_host=None, command=None) -> (reason, hard)`.
When it lands, replace this module's `classify` with
`from buzon.bounces import classify` — nothing else changes: callers only use
`classify` and `REASONS`.

This fallback reads the synchronous answers Buzón's own SMTP client gets (RCPT, DATA,
MAIL); it is keyed by the enhanced status code (RFC 3463), then the reply code
(RFC 5321), with a few words of the server's text to split the ambiguous ones
(5.7.1 is spam for one server and a block list for another).
"""

from __future__ import annotations

import re

# The reason vocabulary (Sisimai's), with whether it is a hard failure: one that
# says the address itself will never work.
REASONS: dict[str, str] = {
    "userunknown": "the mailbox does not exist at the recipient's domain",
    "hostunknown": "the recipient's domain does not exist or has no mail server",
    "hasmoved": "the mailbox moved and mail is not forwarded",
    "notaccept": "the domain accepts no mail at all",
    "mailboxfull": "the recipient's mailbox is over quota",
    "suspend": "the recipient's account is disabled or suspended",
    "exceedlimit": "the message exceeds a per-recipient limit",
    "mesgtoobig": "the message is larger than the receiving server accepts",
    "spamdetected": "the receiving server's spam filter rejected the content",
    "virusdetected": "a virus scanner rejected the message",
    "filtered": "rejected by a header or content rule",
    "policyviolation": "the receiving site's local policy refused it",
    "blocked": "the sending server's IP address or hostname is refused",
    "badreputation": "the sending IP address has a poor reputation",
    "requireptr": "the sending IP address has no valid reverse DNS",
    "authfailure": "SPF, DKIM or DMARC checks failed",
    "notcompliantrfc": "the message does not follow RFC 5322",
    "securityerror": "a security requirement (TLS, authentication) was not met",
    "failedstarttls": "TLS negotiation failed",
    "norelaying": "the server refused to relay for this domain",
    "rejected": "the envelope sender was refused",
    "syntaxerror": "an SMTP command had bad syntax",
    "speeding": "sending too fast; rate limited",
    "toomanyconn": "too many simultaneous connections",
    "systemerror": "the receiving system had an internal error",
    "systemfull": "the receiving system's disk is full",
    "networkerror": "DNS or network failure on the way",
    "expired": "retried until the delivery's lifetime ran out",
    "mailererror": "a local delivery program failed",
    "contenterror": "the message's format or encoding was refused",
    "onhold": "too little information to decide",
    "undefined": "a failure whose reason cannot be told",
    "vacation": "an auto-reply, not a failure",
    "feedback": "a complaint report, not a delivery failure",
    "delivered": "a positive delivery report",
}

HARD_REASONS = {"userunknown", "hostunknown", "hasmoved"}

# Enhanced status → reason; the first matching pattern wins.
_BY_STATUS: list[tuple[str, str]] = [
    (r"5\.1\.[013]", "userunknown"),
    (r"5\.1\.2|5\.4\.4", "hostunknown"),
    (r"5\.1\.6", "hasmoved"),
    (r"5\.1\.10|5\.3\.2", "notaccept"),
    (r"5\.1\.[78]", "rejected"),
    (r"[45]\.2\.2", "mailboxfull"),
    (r"[45]\.2\.1|5\.7\.13", "suspend"),
    (r"[45]\.2\.3", "exceedlimit"),
    (r"[45]\.3\.4", "mesgtoobig"),
    (r"[45]\.3\.1", "systemfull"),
    (r"[45]\.3\.[05]", "systemerror"),
    (r"4\.3\.2", "toomanyconn"),
    (r"[45]\.4\.[17]", "expired"),
    (r"[45]\.4\.\d+", "networkerror"),
    (r"[45]\.5\.\d+", "syntaxerror"),
    (r"[45]\.6\.\d+", "contenterror"),
    (r"5\.7\.28", "spamdetected"),
    (r"5\.7\.25", "requireptr"),
    (r"5\.7\.(2[0-4]|26|515)", "authfailure"),
    (r"5\.7\.30", "failedstarttls"),
    (r"5\.7\.9", "policyviolation"),
]

# Words in the server's text that decide ambiguous answers, in order.
_BY_TEXT: list[tuple[str, str]] = [
    (r"\bspam\b|junk|bulk mail|content rejected", "spamdetected"),
    (r"\bvirus|malware|infected", "virusdetected"),
    (r"relay(ing)? (access )?(denied|not permitted)|not permitted to relay|relay not",
     "norelaying"),
    (r"reputation", "badreputation"),
    (r"block ?list|black ?list|\bblocked|\blisted\b|\bdnsbl|\brbl\b|spamhaus|spamcop", "blocked"),
    (r"too many (connections|sessions)", "toomanyconn"),
    (r"rate limit|too many (messages|emails|mails)|slow down|try again later", "speeding"),
    (r"(mailbox|quota|storage).{0,20}(full|exceeded)|over quota|insufficient storage",
     "mailboxfull"),
    (r"(too (big|large)|size limit|exceeds? (the )?(maximum|size))", "mesgtoobig"),
    (r"(user|mailbox|recipient|address)( \S+)? (unknown|not found|does not exist|"
     r"doesn't exist)|no such (user|mailbox|recipient)|unknown (user|recipient)|"
     r"invalid (recipient|mailbox)", "userunknown"),
    (r"(disabled|suspended|inactive|deactivated) (account|mailbox|user)|"
     r"(account|mailbox) (is )?(disabled|suspended|inactive)", "suspend"),
    (r"does not accept mail|accepts no mail|null mx", "notaccept"),
    (r"\bhost (unknown|not found)|domain (not found|does not exist)|no mx", "hostunknown"),
    (r"\bspf\b|\bdkim\b|\bdmarc\b", "authfailure"),
    (r"reverse dns|\bptr\b", "requireptr"),
    (r"\btls\b|starttls|encryption", "failedstarttls"),
]  # fmt: skip

# Reply code → reason when neither the status nor the text decides.
_BY_CODE: dict[str, str] = {
    "421": "toomanyconn",
    "450": "speeding",
    "451": "systemerror",
    "452": "systemfull",
    "521": "notaccept",
    "523": "failedstarttls",
    "524": "failedstarttls",
    "530": "securityerror",
    "534": "securityerror",
    "535": "securityerror",
    "538": "failedstarttls",
    "551": "hasmoved",
    "552": "mailboxfull",
    "556": "notaccept",
}


def classify(
    status: str | None,
    reply_code: int | str | None,
    diagnostic: str,
    remote_host: str | None = None,
    command: str | None = None,
) -> tuple[str, bool]:
    """(reason, hard) for one SMTP failure, e.g. the 550 our client got at RCPT."""
    status = (status or "").strip()
    code = str(reply_code or "").strip()
    text = (diagnostic or "").lower()
    reason = _classify(status, code, text, (command or "").upper())
    permanent = code.startswith("5") or (not code and status.startswith("5."))
    hard = permanent and (reason in HARD_REASONS or reason == "notaccept")
    return reason, hard


def _classify(status: str, code: str, text: str, command: str) -> str:
    for pattern, reason in _BY_STATUS:
        if re.fullmatch(pattern, status):
            return reason
    for pattern, reason in _BY_TEXT:
        if re.search(pattern, text):
            return reason
    if status.startswith(("5.7.", "4.7.")):
        # A policy answer whose text says nothing more: at DATA it was the content,
        # earlier it was us (the sending host).
        if command == "DATA":
            return "spamdetected" if status.endswith(".1") else "policyviolation"
        return "blocked" if status.endswith(".1") else "securityerror"
    if code in _BY_CODE:
        if code == "552" and command in ("DATA", "MAIL"):
            return "mesgtoobig"
        return _BY_CODE[code]
    if code[:2] == "50":
        return "syntaxerror"
    return "undefined"
