"""Finding and validating email addresses in hostile text."""

from __future__ import annotations

import re

# Strict enough to refuse garbage, loose enough for real local parts (quoted ones
# included) and for IDN domains; bounded repetition keeps matching linear.
_LOCAL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+){0,30}"
_LOCAL_QUOTED = r'"[^"\\\r\n]{1,64}"'
_LABEL = r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}"
_DOMAIN = rf"(?:{_LABEL}\.){{1,10}}{_LABEL}"
_DOMAIN_LITERAL = r"\[[0-9A-Fa-f:.]{2,45}\]"

_FULL_RE = re.compile(rf"(?:{_LOCAL_QUOTED}|{_LOCAL_ATOM})@(?:{_DOMAIN}|{_DOMAIN_LITERAL})")
# Any address in a line, with or without angle brackets.
FIND_RE = re.compile(
    rf"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~\-])(?:{_LOCAL_QUOTED}|{_LOCAL_ATOM})@(?:{_DOMAIN}|{_DOMAIN_LITERAL})"
)

_QUOTED_ADDRESS_RE = re.compile(rf"{_LOCAL_QUOTED}@(?:{_DOMAIN}|{_DOMAIN_LITERAL})")

_SENDER_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "maildaemon"}
)


def is_address(text: str) -> bool:
    """True for a syntactically plausible single mailbox address `local@domain`."""
    if not text or len(text) > 254 or text.count("@") < 1:
        return False
    if _FULL_RE.fullmatch(text) is None:
        return False
    local, _, domain = text.rpartition("@")
    return len(local) <= 64 and not domain.startswith("-") and ".." not in domain


# The answers for the last few texts `clean` was given: reading one bounce cleans the
# same recipient several times (bounded: emptied when full).
_RECENT = 16
_RECENT_CLEANED: dict[str, str] = {}


def clean(text: str) -> str:
    """Normalise an address as found in a bounce: strip brackets, quotes, punctuation.

    Returns "" when what is left is not an address.
    """
    found = _RECENT_CLEANED.get(text)
    if found is None:
        found = _clean(text)
        if len(_RECENT_CLEANED) >= _RECENT:
            _RECENT_CLEANED.clear()
        _RECENT_CLEANED[text] = found
    return found


def _clean(text: str) -> str:
    if not text:
        return ""
    value = text.strip()
    if len(value) > 512:
        return ""
    if ";" in value[:12] and value.lower().startswith(("rfc822;", "rfc822 ;", "utf-8;", "x-")):
        value = value.split(";", 1)[1].strip()
    if "<" in value and ">" in value:
        inner = value[value.rfind("<") + 1 :]
        inner = inner[: inner.find(">")] if ">" in inner else inner
        if "@" in inner:
            value = inner
    quoted = _QUOTED_ADDRESS_RE.search(value) if '"' in value else None
    if quoted and is_address(quoted.group(0)):
        local, _, domain = quoted.group(0).rpartition("@")
        return f"{local}@{domain.lower()}"
    value = value.strip().strip("<>\"'`()[]{}:;,. \t")
    if value[:7].lower().startswith("mailto:"):
        value = value[7:]
    if value.startswith('"') and value.count('"') == 1:
        value = value[1:]
    # Sendmail writes "user@example.com... User unknown".
    if "..." in value:
        value = value.split("...", 1)[0]
    value = value.strip().strip("<>\"'`()[]{}:;,.")
    if is_address(value):
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    return ""


def find_all(text: str) -> list[str]:
    """Every address in `text`, cleaned, in order, without duplicates."""
    seen: dict[str, None] = {}
    if "@" not in text:
        return []  # every address has one
    for match in FIND_RE.finditer(text):
        value = clean(match.group(0))
        if value and value.lower() not in seen:
            seen[value.lower()] = None
    return list(seen)


def find_first(text: str) -> str:
    if "@" not in text:
        return ""  # every address has one
    for match in FIND_RE.finditer(text):
        value = clean(match.group(0))
        if value:
            return value
    return ""


def is_daemon(address: str) -> bool:
    """True for MAILER-DAEMON / postmaster style system addresses."""
    return address.rpartition("@")[0].lower() in _SENDER_LOCALS


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
