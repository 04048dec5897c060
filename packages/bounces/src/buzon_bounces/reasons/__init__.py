"""Reason classification: which of the reasons in `REASONS` explains a failure.

Each reason has its own rule table in a module of this package (`userunknown.py`, ...).
`decide` weighs, in order: what a provider is known to mean by its wording
(`buzon_bounces.providers`), what the format module already knew, the enhanced status
code, and the diagnostic text matched against the rule tables in a fixed order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module

from .. import blame
from ._rule import Rule

REASONS: tuple[str, ...] = (
    "userunknown",
    "hostunknown",
    "hasmoved",
    "notaccept",
    "mailboxfull",
    "suspend",
    "exceedlimit",
    "mesgtoobig",
    "spamdetected",
    "virusdetected",
    "filtered",
    "policyviolation",
    "blocked",
    "badreputation",
    "requireptr",
    "authfailure",
    "notcompliantrfc",
    "securityerror",
    "failedstarttls",
    "norelaying",
    "rejected",
    "syntaxerror",
    "speeding",
    "toomanyconn",
    "systemerror",
    "systemfull",
    "networkerror",
    "expired",
    "mailererror",
    "contenterror",
    "onhold",
    "undefined",
    "vacation",
    "feedback",
    "delivered",
)
RULES: dict[str, Rule] = {name: import_module(f"{__name__}.{name}").RULE for name in REASONS}


# What an enhanced status code says by itself (RFC 3463 and its successors).
STATUS_REASON: dict[str, str] = {
    "4.1.6": "hasmoved",
    "4.1.7": "rejected",
    "4.1.8": "rejected",
    "4.1.9": "systemerror",
    # A destination system address that cannot be resolved for now: a DNS failure.
    "4.1.2": "networkerror",
    "4.2.1": "suspend",
    "4.2.2": "mailboxfull",
    "4.2.3": "exceedlimit",
    "4.2.4": "filtered",
    "4.3.0": "systemerror",
    "4.3.1": "systemfull",
    "4.3.2": "notaccept",
    "4.3.3": "systemerror",
    "4.3.5": "systemerror",
    "4.4.1": "expired",
    "4.4.2": "networkerror",
    "4.4.3": "networkerror",
    "4.4.4": "networkerror",
    "4.4.5": "systemfull",
    "4.4.6": "networkerror",
    "4.4.7": "expired",
    # Exchange Online's connector codes: a DNS failure, a refused, failed or dropped
    # connection (x.4.315, a time-out, is left to the wording: expired).
    "4.4.312": "networkerror",
    "4.4.316": "networkerror",
    "4.4.317": "networkerror",
    "4.4.318": "networkerror",
    "4.5.3": "systemerror",
    "4.5.5": "systemerror",
    "4.6.0": "contenterror",
    "4.6.2": "contenterror",
    "4.6.5": "contenterror",
    "4.7.1": "blocked",
    "4.7.2": "blocked",
    "4.7.5": "securityerror",
    "4.7.6": "securityerror",
    "4.7.7": "securityerror",
    "4.7.12": "securityerror",
    "4.7.15": "securityerror",
    "4.7.16": "mesgtoobig",
    "4.7.20": "authfailure",
    "4.7.21": "authfailure",
    "4.7.22": "authfailure",
    "4.7.23": "authfailure",
    "4.7.24": "authfailure",
    "4.7.25": "requireptr",
    "4.7.26": "authfailure",
    "4.7.27": "rejected",
    "5.1.0": "userunknown",
    "5.1.1": "userunknown",
    "5.1.2": "hostunknown",
    "5.1.3": "userunknown",
    "5.1.4": "filtered",
    "5.1.6": "hasmoved",
    "5.1.7": "rejected",
    "5.1.8": "rejected",
    "5.1.9": "systemerror",
    "5.1.10": "notaccept",
    "5.2.0": "filtered",
    "5.2.1": "filtered",
    "5.2.2": "mailboxfull",
    "5.2.3": "exceedlimit",
    "5.2.4": "filtered",
    "5.3.0": "systemerror",
    "5.3.1": "systemfull",
    "5.3.2": "notaccept",
    "5.3.3": "systemerror",
    "5.3.4": "mesgtoobig",
    "5.3.5": "systemerror",
    "5.4.0": "networkerror",
    "5.4.3": "systemerror",
    "5.4.4": "hostunknown",
    "5.4.6": "networkerror",
    "5.4.312": "networkerror",
    "5.4.316": "networkerror",
    "5.4.317": "networkerror",
    "5.4.318": "networkerror",
    "5.5.3": "toomanyconn",
    "5.5.4": "systemerror",
    "5.5.5": "systemerror",
    "5.5.6": "securityerror",
    "5.6.0": "contenterror",
    "5.6.1": "contenterror",
    "5.6.2": "contenterror",
    "5.6.3": "contenterror",
    "5.6.5": "contenterror",
    "5.6.6": "contenterror",
    "5.6.7": "contenterror",
    "5.6.8": "contenterror",
    "5.6.9": "contenterror",
    "5.7.0": "securityerror",
    "5.7.1": "securityerror",
    "5.7.2": "securityerror",
    "5.7.3": "securityerror",
    "5.7.4": "securityerror",
    "5.7.5": "securityerror",
    "5.7.6": "securityerror",
    "5.7.7": "securityerror",
    "5.7.8": "securityerror",
    "5.7.9": "securityerror",
    "5.7.10": "securityerror",
    "5.7.11": "securityerror",
    "5.7.13": "suspend",
    "5.7.14": "securityerror",
    "5.7.15": "securityerror",
    "5.7.16": "mesgtoobig",
    "5.7.17": "hasmoved",
    "5.7.18": "hasmoved",
    "5.7.19": "securityerror",
    "5.7.20": "authfailure",
    "5.7.21": "authfailure",
    "5.7.22": "authfailure",
    "5.7.23": "authfailure",
    "5.7.24": "authfailure",
    "5.7.25": "requireptr",
    "5.7.26": "authfailure",
    # RFC 7505: the *sender's* address has a null MX (x.1.10 is the recipient's).
    "5.7.27": "rejected",
    "5.7.28": "spamdetected",
    "5.7.30": "failedstarttls",
}

# Codes that name one cause whatever the wording (RFC 3463's sender address codes, RFC
# 7372's authentication and reverse DNS codes, RFC 7505's null MX codes, RFC 8689's
# REQUIRETLS): "550 5.7.25 ... the sending IP address doesn't have a PTR record" is
# reverse DNS, never a missing user because of the words "doesn't have a".
# (x.1.10 is not among them: Exchange answers 5.1.10 for a recipient it does not know.)
_FINAL_DETAILS = frozenset(
    {"1.7", "1.8", "7.20", "7.21", "7.22", "7.23", "7.24", "7.25", "7.26", "7.27", "7.30"}
)

# Codes precise enough to be final, even though their reason is a weak one elsewhere:
# Exchange Online names the network failure that kept a message in its queue.
_PRECISE = frozenset(code for code in STATUS_REASON if code[1:4] == ".4." and len(code) == 7)

# A status that names a reason this weakly may be overruled by the diagnostic text.
_WEAK = frozenset(
    {
        "",
        "undefined",
        "onhold",
        "systemerror",
        "securityerror",
        "expired",
        "networkerror",
        "hostunknown",
        "userunknown",
    }
)

# First pass: reasons whose wording is specific enough to trust over the status code.
_FIRST_PASS = (
    "mailboxfull",
    "mesgtoobig",
    "exceedlimit",
    "suspend",
    "hasmoved",
    "norelaying",
    "authfailure",
    "userunknown",
    "filtered",
    "requireptr",
    "notcompliantrfc",
    "badreputation",
    "virusdetected",
    "contenterror",
    "rejected",
    "notaccept",
    "hostunknown",
    "spamdetected",
    "speeding",
    "toomanyconn",
    "blocked",
)
# Second pass: wording alone, for reports whose status code says little.
_SECOND_PASS = (
    "mailboxfull",
    "authfailure",
    "badreputation",
    "speeding",
    "spamdetected",
    "virusdetected",
    "policyviolation",
    "norelaying",
    "systemerror",
    "networkerror",
    "suspend",
    "contenterror",
    "systemfull",
    "notaccept",
    "expired",
    "failedstarttls",
    "securityerror",
    "mailererror",
)
# Text-only formats: every reason, most specific first.
TEXT_ORDER = (
    "mailboxfull",
    "mesgtoobig",
    "exceedlimit",
    "suspend",
    "userunknown",
    "filtered",
    "rejected",
    "notaccept",
    "hostunknown",
    "spamdetected",
    "speeding",
    "toomanyconn",
    "blocked",
    "authfailure",
    "failedstarttls",
    "securityerror",
    "systemerror",
    "networkerror",
    "expired",
    "contenterror",
    "hasmoved",
    "systemfull",
    "notaccept",
    "mailererror",
    "norelaying",
    "syntaxerror",
)


def match_text(text: str, order: tuple[str, ...] = TEXT_ORDER) -> str:
    """The first reason in `order` whose rule table matches `text` (any case)."""
    lowered = text.lower()
    for name in order:
        if RULES[name].matches(lowered):
            return name
    return ""


# At MAIL FROM, these explain a refusal better than "the sender was refused".
_NOT_SENDER = (
    "blocked",
    "requireptr",
    "authfailure",
    "badreputation",
    "spamdetected",
    "securityerror",
    "norelaying",
    "speeding",
    "toomanyconn",
    "systemerror",
    "systemfull",
    "policyviolation",
)

# Wordings that only ever mean a missing mailbox, whatever the SMTP command (a status
# code that names another cause still wins).
_USER_UNKNOWN_ANYWHERE = (
    "recipientnotfound",
    "recipnotfound",
    "user unknown in virtual mailbox table",
    "user unknown in virtual alias table",
    "unknown recipient or mailbox unavailable",
    "user not found",
    # Exchange Online's directory check refusing an address it does not know.
    "recipient address rejected: access denied",
)
# "This user doesn't have a yahoo.com account": no such account at that provider.
_NO_ACCOUNT = re.compile(r"doesn't have an? [^ ]{1,100} account")

# RFC 5321's own text for 550 ("Requested action not taken: mailbox unavailable (e.g.,
# mailbox not found, no access, or command rejected for policy reasons)"): a missing
# mailbox only when nothing says otherwise, that is at RCPT TO (or an unknown stage)
# under no status, or under one that only says "addressing" or "protocol" (Outlook.com
# answers 5.5.0 for an unknown address). Under a policy (x.7) or mailbox (x.2) code it
# is that code's refusal.
_GENERIC_UNAVAILABLE = ("mailbox unavailable", "mailbox is unavailable")


# Postfix's refusal of our HELO name ("Helo command rejected: Host not found").
_HELO_REFUSED = "helo command rejected"

# A complaint about a repeated header is about the message's form, whatever header it
# names (a duplicated "DKIM-Signature" is not an authentication failure).
_REPEATED_HEADER = re.compile(r"duplicate header|multiple [\w-]+ headers|there are multiple")


def _repeated_header(text: str) -> bool:
    return ("multiple" in text or "duplicate" in text) and _REPEATED_HEADER.search(text) is not None


# A rate or count limit on connections or sessions, rather than on messages.
_CONNECTION_RATE = re.compile(r"connection (?:rate|count|frequency) limit|connection rate exceeded")


# Block-list operators whose names contain "spam": a listing there refuses the sending
# host (blocked), it says nothing about the message's content.
_BLOCKLIST_NAMES = re.compile(r"spamhaus|spamcop|spamrats|spam-?eating|uceprotect")


# Stages at which no recipient has been named yet.
_BEFORE_RCPT = ("CONN", "EHLO", "MAIL", "STARTTLS")


# Causes that all lie with the recipient's address: a status naming one of them does not
# contradict a wording naming another (Exchange answers 5.1.10, RFC 7505's null MX code,
# for a recipient it does not know).
_ADDRESS_CAUSES = frozenset({"userunknown", "hostunknown", "notaccept", "hasmoved"})


def _names_another_cause(by_status: str, name: str) -> bool:
    """True when the status code names a specific cause other than `name`."""
    if not by_status or by_status in _WEAK or by_status in (name, "filtered"):
        return False
    return not (name in _ADDRESS_CAUSES and by_status in _ADDRESS_CAUSES)


def _generic_unavailable(status: str, text: str, command: str) -> bool:
    if command not in ("RCPT", "") or not any(p in text for p in _GENERIC_UNAVAILABLE):
        return False
    return not status or status[2:] in ("0.0",) or status[2:4] in ("1.", "5.")


# (text, answer) for the last text asked about, replaced as one tuple (thread-safe).
_last_refusal: list[tuple[str, bool]] = [("", False)]


def _refuses_sender_or_volume(text: str) -> bool:
    """Whether `text` refuses our envelope sender or our volume of bad recipients
    (the answer for the last text is kept: `decide` asks it of one text several times)."""
    last_text, answer = _last_refusal[0]
    if last_text != text or not text:
        answer = blame.sender_refused(text) or blame.bad_recipient_volume(text)
        _last_refusal[0] = (text, answer)
    return answer


def _probe_userunknown(status: str, text: str, command: str, by_status: str) -> bool:
    if _refuses_sender_or_volume(text):
        return False  # our envelope sender, or our volume of bad recipients, was refused
    if status.startswith("4"):
        return False  # a temporary failure cannot be a hard bounce
    if command in _BEFORE_RCPT:
        return False  # before RCPT TO it is the sender (or the host) that was refused
    if _names_another_cause(by_status, "userunknown"):
        return False
    if any(marker in text for marker in _USER_UNKNOWN_ANYWHERE) or _NO_ACCOUNT.search(text):
        return True
    if _generic_unavailable(status, text, command):
        return True
    rule = RULES["userunknown"]
    if not by_status and status.startswith("5.1.") and rule.matches(text):
        return True
    if by_status == "userunknown":
        return not any(RULES[other].matches(text) for other in _NOT_USER_UNKNOWN)
    return command == "RCPT" and rule.matches(text)


# A table of these matching says more than a status code that names an unknown user.
_NOT_USER_UNKNOWN = ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept")


def _probe_hostunknown(status: str, text: str, command: str, by_status: str) -> bool:
    if _refuses_sender_or_volume(text):
        return False
    if status.startswith("4"):
        return False
    if command in _BEFORE_RCPT or _HELO_REFUSED in text:
        return False  # our HELO name or our sender's domain, not the recipient's
    rule = RULES["hostunknown"]
    if by_status == "hostunknown":
        return not RULES["networkerror"].matches(text) or rule.matches(text)
    return rule.matches(text)


def _probe_filtered(status: str, text: str, command: str, by_status: str) -> bool:
    if _refuses_sender_or_volume(text):
        return False
    if by_status == "suspend":
        return False
    if by_status != "filtered" and command in ("CONN", "EHLO", "MAIL", "RCPT"):
        return False
    return RULES["filtered"].matches(text) or RULES["userunknown"].matches(text)


def _probe_notaccept(status: str, text: str, command: str, by_status: str) -> bool:
    if _refuses_sender_or_volume(text):
        return False
    if status.startswith("4") and by_status != "notaccept":
        return False  # "accepts no mail" is never a temporary state (a DNS error is)
    if by_status == "notaccept" and (
        RULES["toomanyconn"].matches(text) or RULES["speeding"].matches(text)
    ):
        # "System not accepting network messages" (x.3.2) says less than a rate or
        # connection limit named in the text.
        return False
    if by_status == "hostunknown" and RULES["hostunknown"].matches(text):
        # The status and the text both say the host is unknown (sendmail's "Host
        # unknown (Name server: ...)"): that is the reading, not a refusal of all mail.
        return False
    return by_status == "notaccept" or RULES["notaccept"].matches(text)


def _probe_spamdetected(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status != "spamdetected":
        if "spam" in text or "uceprotect" in text:  # a block list's name may be there
            text = _BLOCKLIST_NAMES.sub(" ", text)
        return RULES["spamdetected"].matches(text)
    return True


def _probe_rejected(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status == "rejected" or blame.sender_refused(text):
        return True
    if command == "MAIL" and not any(RULES[o].matches(text) for o in _NOT_SENDER):
        return True
    return RULES["rejected"].matches(text) and command in ("MAIL", "")


def _probe_blocked(status: str, text: str, command: str, by_status: str) -> bool:
    return by_status == "blocked" or RULES["blocked"].matches(text)


def _probe_mesgtoobig(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status == "exceedlimit":
        return False
    return by_status == "mesgtoobig" or RULES["mesgtoobig"].matches(text)


def _probe_exceedlimit(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status == "mesgtoobig":
        return False
    return by_status == "exceedlimit" or RULES["exceedlimit"].matches(text)


def _probe_authfailure(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status != "authfailure" and _repeated_header(text):
        return False
    return by_status == "authfailure" or RULES["authfailure"].matches(text)


def _probe_norelaying(status: str, text: str, command: str, by_status: str) -> bool:
    if command in ("CONN", "EHLO"):
        return False
    return RULES["norelaying"].matches(text)


def _probe_speeding(status: str, text: str, command: str, by_status: str) -> bool:
    if by_status != "speeding" and _CONNECTION_RATE.search(text):
        return False  # a limit on connections, not on messages: toomanyconn
    return _probe_toomanyconn(status, text, command, by_status, "speeding")


def _probe_toomanyconn(
    status: str, text: str, command: str, by_status: str, name: str = "toomanyconn"
) -> bool:
    return by_status == name or (RULES[name].matches(text) and not status.startswith("5.1"))


_PROBES: dict[str, Callable[[str, str, str, str], bool]] = {
    "userunknown": _probe_userunknown,
    "hostunknown": _probe_hostunknown,
    "filtered": _probe_filtered,
    "notaccept": _probe_notaccept,
    "spamdetected": _probe_spamdetected,
    "rejected": _probe_rejected,
    "blocked": _probe_blocked,
    "hasmoved": lambda status, text, command, by_status: (
        by_status == "hasmoved" or RULES["hasmoved"].matches(text)
    ),
    "mesgtoobig": _probe_mesgtoobig,
    "exceedlimit": _probe_exceedlimit,
    "authfailure": _probe_authfailure,
    "norelaying": _probe_norelaying,
    "speeding": _probe_speeding,
    "toomanyconn": _probe_toomanyconn,
}

# Whether reason `name` explains a failure: its probe, which weighs the status code and
# the SMTP command with the text (lower case), or else its rule table on the text or a
# status code naming it. (name, probe or None, rule table) in each order `decide` asks.
_Probes = tuple[tuple[str, Callable[[str, str, str, str], bool] | None, Rule], ...]


def _probes(order: tuple[str, ...]) -> _Probes:
    return tuple((name, _PROBES.get(name), RULES[name]) for name in order)


_FIRST_PROBES = _probes(_FIRST_PASS)
_TEXT_PROBES = _probes(TEXT_ORDER)


def decide(
    status: str,
    reply_code: str,
    diagnostic: str,
    *,
    command: str = "",
    action: str = "",
    diagnostic_type: str = "",
    preset: str = "",
) -> str:
    """The reason for one recipient's failure (provider rules are applied by the caller)."""
    if preset and preset not in _WEAK:
        return preset
    if status[2:] in _FINAL_DETAILS and status in STATUS_REASON:
        return STATUS_REASON[status]
    if status.startswith("2.") or (
        action in ("delivered", "relayed", "expanded") and not status.startswith(("4", "5"))
    ):
        return "delivered"
    text = diagnostic.lower()
    dtype = diagnostic_type.upper()
    if dtype in ("SMTP", ""):
        by_status = STATUS_REASON.get(status, "")
        for name, probe, rule in _FIRST_PROBES:
            if name == preset:
                return name
            if probe is None:
                if by_status == name or rule.matches(text):
                    return name
            elif probe(status, text, command, by_status):
                return name
    if status in _PRECISE:
        return STATUS_REASON[status]
    if preset:
        return preset
    by_status = STATUS_REASON.get(status, "")
    probed = status
    if by_status == "systemerror" and status.startswith("4.") and dtype.startswith("X-UNIX"):
        # A local program's temporary exit is the mailer's failure, whatever mail-system
        # status the MTA put on it (read as mailererror below unless the text says more).
        by_status, probed = "", "4.0.0"
    if by_status in _WEAK or dtype not in ("SMTP", ""):
        for name in _SECOND_PASS:
            if RULES[name].matches(text):
                return name
        # Then every reason, the status code and the SMTP command weighed with the text.
        by_probed = STATUS_REASON.get(probed, "")
        for name, probe, rule in _TEXT_PROBES:
            if probe is None:
                if by_probed == name or rule.matches(text):
                    return name
            elif probe(probed, text, command, by_probed):
                return name
    if by_status:
        return by_status
    if status[1:4] == ".6." or (reply_code == "" and status.startswith(("4.6", "5.6"))):
        return "contenterror"
    if status.startswith(("5.7", "4.7")):
        return "securityerror"
    if dtype.startswith("X-UNIX"):
        return "mailererror"
    if reply_code in ("500", "501", "502", "503", "504") or RULES["syntaxerror"].matches(text):
        return "syntaxerror"
    if action in ("delayed", "expired"):
        return "expired"
    if command == "EHLO":
        return "blocked"
    if "vacation" in text or RULES["vacation"].matches(text):
        return "vacation"
    return "onhold" if text.strip() else "undefined"


# Placeholder statuses for reports that carry no real code, one per reason, as Sisimai
# uses them (so results line up with its output): class 4 or 5, then ".0.9xx".
PLACEHOLDER_DETAIL: dict[str, int] = {
    "undefined": 900,
    "onhold": 901,
    "norelaying": 909,
    "filtered": 910,
    "userunknown": 911,
    "hostunknown": 912,
    "hasmoved": 916,
    "rejected": 918,
    "suspend": 921,
    "mailboxfull": 922,
    "exceedlimit": 923,
    "systemerror": 930,
    "systemfull": 931,
    "notaccept": 932,
    "mesgtoobig": 934,
    "mailererror": 939,
    "networkerror": 944,
    "toomanyconn": 945,
    "expired": 947,
    "contenterror": 960,
    "securityerror": 970,
    "blocked": 971,
    "policyviolation": 972,
    "requireptr": 973,
    "authfailure": 974,
    "notcompliantrfc": 975,
    "failedstarttls": 976,
    "badreputation": 977,
    "speeding": 978,
    "syntaxerror": 979,
    "spamdetected": 980,
    "virusdetected": 981,
}


def placeholder(reason: str, temporary: bool) -> str:
    detail = PLACEHOLDER_DETAIL.get(reason, 900)
    return f"{'4' if temporary else '5'}.0.{detail}"
