"""Reading SMTP facts out of free text: reply codes, enhanced status codes, commands."""

from __future__ import annotations

import re

# An enhanced status code in free text, read as buzon.smtpcodes reads it (see its
# parsing.STATUS_CODE: not part of a longer run of digits and dots, a dot after it is a
# full stop). A copy, because this package imports nothing outside itself; both are
# tested against tests/status_code_cases.py. The look-behind comes after the first
# character (which it looks past), so that the regex engine can skip quickly to the
# characters a match starts with. Groups: class, subject, detail.
STATUS_RE = re.compile(r"([245])(?<![\d.][245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)", re.ASCII)
# A reply code where one is expected: at the start, after "said:", or before a status.
_REPLY_AT_START_RE = re.compile(r"^\W{0,3}([245][0-7]\d)(?:[ \-]|$)")
# (The character before the code is checked after the code's first digit, so that the
# engine can skip to the digits a match starts with.)
_REPLY_ANYWHERE_RE = re.compile(
    r"([245](?<![^\s:(\[\"'#=][245])[0-7]\d)"
    r"(?:[ \-](?:[245]\.\d{1,3}\.\d{1,3}|[A-Za-z<#\[(\"'])|$|\s*$)"
)
# "550: 5.2.2 <a@b>... Mailbox Full", "<a@b>: 550: : User unknown", "[192.0.2.1]: 550 :
# User unknown": a code followed by a colon, only at the start or after a colon (never
# "port 465: ...").
_REPLY_COLON_RE = re.compile(r"(?:^\W{0,3}|:\s)([245][0-5]\d) ?:(?=\s|$)")
# Any reply code: a `_REPLY_SAID_RE` match starts at most this far before its code.
_ANY_REPLY_RE = re.compile(r"[245][0-7]\d")
_SAID_REACH = len("responded") + 20
_REPLY_SAID_RE = re.compile(
    r"(?i)(?:said|returned|response|responded|reply|replied|error|code|with|status|failed)"
    r"[^0-9\n]{0,20}?(?<!\d)([245][0-7]\d)(?!\d|\.\d)"
)
# The same, case-sensitive, for ASCII text lower-cased.
_REPLY_SAID_LOWERED_RE = re.compile(_REPLY_SAID_RE.pattern.removeprefix("(?i)"))

# What says that a failure happened at a command: (command, words one of which every
# phrase and pattern of it contains, phrases, patterns), all matched against the
# lower-cased text. Each pattern comes with the text every match of it starts with, so
# that only text that has it is scanned, from there on.
_COMMAND_PATTERNS: tuple[
    tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, re.Pattern[str]], ...]], ...
] = (
    (
        "DATA",
        ("data",),
        ("final data", "[data]"),
        (
            ("after ", re.compile(r"\bafter (?:end of )?data\b")),
            ("in reply to ", re.compile(r"\bin reply to (?:end of )?data\b")),
            ("data command", re.compile(r"\bdata command\b")),
            ("data", re.compile(r"\bdata\W+(?:response|command)")),
        ),
    ),
    ("RCPT", ("rcpt",), ("rcpt to", "[rcpt_to]"), (("rcpt", re.compile(r"\brcpt\b")),)),
    (
        "MAIL",
        ("mail",),
        ("mail from", "in reply to mail", "[mail_from]"),
        (("mail command", re.compile(r"\bmail command")),),
    ),
    (
        "EHLO",
        ("ehlo", "helo", "greeting"),
        ("greeting",),
        (("ehlo", re.compile(r"\behlo\b")), ("helo", re.compile(r"\bhelo\b"))),
    ),
    ("STARTTLS", ("starttls",), (), (("starttls", re.compile(r"\bstarttls\b")),)),
    (
        "CONN",
        ("connection", "refused to talk", "banner"),
        ("initial connection", "refused to talk to me", "connection refused", "banner"),
        (),
    ),
)

# "after RCPT TO", "in reply to end of DATA", ...: a command word after a lead-in.
# ("rcpt(?: to)?" rather than "rcpt to|rcpt": the engine tries fewer alternatives.)
_COMMAND_WORD_RE = re.compile(
    r"\s(rcpt(?: to)?|mail(?: from)?|data|ehlo|helo|starttls|auth|bdat)\b"
)
_COMMAND_LEAD_RE = re.compile(
    r"(?:after|in reply to|response to|following|for|to|in|error|at)\s+"
    r"(?:the\s+)?(?:end of\s+)?$"
)
_COMMAND_NORMAL = {"RCPT TO": "RCPT", "MAIL FROM": "MAIL", "HELO": "EHLO", "BDAT": "DATA"}


_STATUS_AFTER_REPLY_RE = re.compile(
    r"[245](?<!\d[245])\d\d[ \-]['\"(]?([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)", re.ASCII
)


# The answers for the last few texts of the finders below: reading one bounce asks
# about the same diagnostic and notification text several times (bounded: each memory
# is emptied when full).
_RECENT = 16
_RECENT_STATUSES: dict[str, str] = {}
_RECENT_REPLY_CODES: dict[str, str] = {}
_RECENT_COMMANDS: dict[str, str] = {}


def _remember(memory: dict[str, str], text: str, answer: str) -> str:
    if len(memory) >= _RECENT:
        memory.clear()
    memory[text] = answer
    return answer


def find_status(text: str) -> str:
    """The enhanced status code in `text` (e.g. "5.1.1"), or "".

    One that follows a reply code ("550 5.1.1", "550-'5.7.1") is preferred: a bare one
    may be the reporting MTA's own summary. Among those, one whose class agrees with its
    reply code's wins: "554 4.4.7 Message expired <421 4.4.2 Connection timed out>" is a
    summary in a made-up wrapper around the remote server's real answer.
    """
    found = _RECENT_STATUSES.get(text)
    if found is None:
        found = _remember(_RECENT_STATUSES, text, _find_status(text))
    return found


def _find_status(text: str) -> str:
    head = text[:8000]
    if "2." not in head and "4." not in head and "5." not in head:
        return ""  # every status code holds one of these (both patterns below start so)
    first = ""
    for match in _STATUS_AFTER_REPLY_RE.finditer(head):
        klass, subject, detail = match.groups()
        if int(subject) <= 7 and int(detail) <= 999:
            found = f"{klass}.{int(subject)}.{int(detail)}"
            if match.group(0)[0] == klass:
                return found
            first = first or found
    if first:
        return first
    for match in STATUS_RE.finditer(head):
        klass, subject, detail = match.groups()
        if int(subject) <= 7 and int(detail) <= 999:
            return f"{klass}.{int(subject)}.{int(detail)}"
    return ""


def reply_code_before(text: str, status: str) -> str:
    """The reply code quoted right before `status` ("421 4.4.2" gives "421"), or "" when
    none of the same class is."""
    if not status:
        return ""
    pattern = rf"(?<!\d)({status[0]}\d\d)[ \-]['\"(]?{re.escape(status)}(?![\d]|\.\d)"
    match = re.search(pattern, text[:8000])
    return match.group(1) if match else ""


def find_reply_code(text: str) -> str:
    """The SMTP reply code the diagnostic text quotes, or ""."""
    found = _RECENT_REPLY_CODES.get(text)
    if found is None:
        found = _remember(_RECENT_REPLY_CODES, text, _find_reply_code(text))
    return found


def _find_reply_code(text: str) -> str:
    head = text[:8000].strip()
    if not head:
        return ""
    match = _REPLY_AT_START_RE.match(head)
    if match:
        return match.group(1)
    match = _REPLY_ANYWHERE_RE.search(head)
    if match:
        return match.group(1)
    code = _ANY_REPLY_RE.search(head)
    if code:
        start = max(0, code.start() - _SAID_REACH)
        if head.isascii():  # lower-casing keeps every character in place
            match = _REPLY_SAID_LOWERED_RE.search(head.lower(), start)
        else:
            match = _REPLY_SAID_RE.search(head, start)
        if match:
            return match.group(1)
        # Every match of `_REPLY_COLON_RE` holds a code that `_ANY_REPLY_RE` finds, and
        # starts at most 3 characters before it (its "^" only matches at the very start).
        match = _REPLY_COLON_RE.search(head, max(0, code.start() - 3))
        if match:
            return match.group(1)
    return ""


def find_command(text: str) -> str:
    """The SMTP command a diagnostic says the failure happened at, or ""."""
    found = _RECENT_COMMANDS.get(text)
    if found is None:
        found = _remember(_RECENT_COMMANDS, text, _find_command(text))
    return found


def _find_command(text: str) -> str:
    head = text[:4000].lower()
    # Substring tests first: quicker than the regex's try at every character, in the
    # many texts that name no command word.
    if (
        "rcpt" in head
        or "mail" in head
        or "data" in head
        or "ehlo" in head
        or "helo" in head
        or "starttls" in head
        or "auth" in head
        or "bdat" in head
    ):
        for match in _COMMAND_WORD_RE.finditer(head):
            if _COMMAND_LEAD_RE.search(head, max(0, match.start() - 30), match.start() + 1):
                word = match.group(1).upper()
                return _COMMAND_NORMAL.get(word, word)
    for name, words, phrases, patterns in _COMMAND_PATTERNS:
        for word in words:
            if word in head:
                break
        else:
            continue
        for phrase in phrases:
            if phrase in head:
                return name
        for start, pattern in patterns:
            at = head.find(start)
            if at >= 0 and pattern.search(head, at):
                return name
    return ""


def unwrap_reply(text: str, reply_code: str) -> str:
    """A multi-line reply joined into one sentence, for matching wordings.

    "550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: header 550 5.7.1 are
    not accepted." loses the repeated "550-5.7.1" / "550 5.7.1" / "550-" prefixes of its
    continuation lines (the first one stays), so that a phrase split across lines matches.
    """
    if not reply_code or text.count(reply_code) < 2:
        return text
    head, sep, rest = text.partition(reply_code)
    pattern = _continuation_re(reply_code)
    return head + sep + pattern.sub(" ", rest)


_CONTINUATION: dict[str, re.Pattern[str]] = {}


def _continuation_re(reply_code: str) -> re.Pattern[str]:
    found = _CONTINUATION.get(reply_code)
    if found is None:
        found = re.compile(rf"\s{reply_code}(?:[ -][245]\.\d{{1,3}}\.\d{{1,3}})?(?:-|\s+|$)")
        _CONTINUATION[reply_code] = found
    return found


def is_placeholder(status: str) -> bool:
    """Sisimai-style `x.0.9xx` statuses (and newer Sisimai's `x.9.xxx`: RFC 3463 has no
    subject 9) stand for a reason, not for a real code."""
    parts = status.split(".")
    if len(parts) != 3 or len(parts[2]) != 3:
        return False
    return parts[1] == "9" or (parts[1] == "0" and parts[2].startswith("9"))
