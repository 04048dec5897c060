"""Recognise SMTP codes in whatever an agent, a bounce or a log line hands us.

Every function here returns None instead of raising: the codes come from remote
servers and from people typing, and a malformed one must degrade to "unknown".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# An enhanced status code in free text (RFC 3463): class 2, 4 or 5, then a subject and a
# detail of one to three digits. It is not part of a longer run of digits and dots: not
# after a digit or a dot ("10.5.1.1"), not before a digit, nor before a dot and a digit
# ("5.1.1.20", an IP address); a dot after it is a full stop ("... (5.1.1)." reads
# 5.1.1). This is the one reading of the code in Buzón: `STATUS_RE` finds it anywhere,
# `LEADING_STATUS_RE` at the start of a text (each with the code as group 1), and
# `STATUS_CODE` (no groups) composes into other patterns. buzon_bounces keeps its own copy
# (it imports nothing outside itself); tests/status_code_cases.py holds the cases both
# copies are tested against. Compile with re.ASCII: "٥.١.١" is no code.
STATUS_CODE = r"(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?!\d|\.\d)"
STATUS_RE = re.compile(f"({STATUS_CODE})", re.ASCII)
LEADING_STATUS_RE = re.compile(f"^({STATUS_CODE})", re.ASCII)

# re.ASCII keeps \d and \s to ASCII, so "٥٥٠" is not read as 550.
_REPLY_IN_TEXT = re.compile(r"(?<![\d.])([2-5]\d\d)(?![\d.])", re.ASCII)
_REPLY_CODE = re.compile(r"[2-5]\d\d", re.ASCII)
_REPLY_CLASS = re.compile(r"([2-5])xx", re.ASCII | re.IGNORECASE)
_STATUS_CODE = re.compile(r"([245x])\.(\d{1,3})\.(\d{1,3})", re.ASCII | re.IGNORECASE)
_PROVIDER_RANGE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}-\d{1,3}", re.ASCII)
_PUNCTUATION_AROUND = "#:;,()[]<>\"' \t\r\n"


@dataclass(frozen=True, slots=True)
class Status:
    """An enhanced status code: class 2, 4 or 5, or None for the generic "X"."""

    klass: int | None
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{'X' if self.klass is None else self.klass}.{self.subject}.{self.detail}"

    @property
    def generic(self) -> str:
        """The registry form, independent of class: "X.1.1"."""
        return f"X.{self.subject}.{self.detail}"

    def with_class(self, klass: int | None) -> Status:
        return Status(klass, self.subject, self.detail)


def clean_code(text: object) -> str:
    """Strip what people and bounces put around a code: spaces, "#", brackets."""
    if not isinstance(text, str):
        return ""
    return text.strip(_PUNCTUATION_AROUND)


def parse_reply_code(text: str) -> int | None:
    """Read exactly a reply code ("550"); anything else is None."""
    cleaned = clean_code(text)
    return int(cleaned) if _REPLY_CODE.fullmatch(cleaned) else None


def parse_reply_class(text: str) -> int | None:
    """Read a reply class ("5xx", "5XX") as its digit."""
    match = _REPLY_CLASS.fullmatch(clean_code(text))
    return int(match.group(1)) if match else None


def parse_status(text: str) -> Status | None:
    """Read "5.1.1", "#5.1.1 " or "X.1.1"; subject and detail have 1-3 digits."""
    match = _STATUS_CODE.fullmatch(clean_code(text))
    if not match:
        return None
    klass = None if match.group(1).lower() == "x" else int(match.group(1))
    return Status(klass, int(match.group(2)), int(match.group(3)))


def is_provider_range(text: str) -> bool:
    """A range entry of the reference, such as "5.7.606-649"."""
    return bool(_PROVIDER_RANGE.fullmatch(clean_code(text)))


def reply_code_from(value: object) -> int | None:
    """The basic reply code in an int or in free text ("550-5.1.1 No such user").

    Only 200-599 count: SMTP has no other classes, and anything else is noise.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 200 <= value <= 599 else None
    if isinstance(value, str):
        match = _REPLY_IN_TEXT.search(value)
        return int(match.group(1)) if match else None
    return None


def status_from(value: object) -> Status | None:
    """The first enhanced status code (class 2, 4 or 5) found in free text."""
    if not isinstance(value, str):
        return None
    match = STATUS_RE.search(value)
    if not match:
        return None
    klass, subject, detail = match.group(1).split(".")
    return Status(int(klass), int(subject), int(detail))


def statuses_in(text: str) -> list[Status]:
    """Every enhanced status code in free text, in order."""
    found = []
    for match in STATUS_RE.finditer(text):
        klass, subject, detail = match.group(1).split(".")
        found.append(Status(int(klass), int(subject), int(detail)))
    return found


def fold(text: str) -> str:
    """Lower-case and drop accents, so "Buzón LLENO" matches "buzon lleno"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
