"""RFC 3464 / RFC 6533 delivery-status fields, read leniently.

Real reports lose their blank lines, fold fields oddly, put the fields in a text part or
use the field names in other capitalisations; this reader groups fields into per-message
and per-recipient blocks by the fields themselves, not by the blank lines.
"""

from __future__ import annotations

import re

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9\-]{1,40})[ \t]*:[ \t]*(.*)$")

PER_RECIPIENT = frozenset(
    {
        "original-recipient",
        "final-recipient",
        "action",
        "status",
        "remote-mta",
        "diagnostic-code",
        "last-attempt-date",
        "final-log-id",
        "will-retry-until",
        "x-actual-recipient",
        "x-supplementary-info",
        "x-display-name",
    }
)
PER_MESSAGE = frozenset(
    {
        "reporting-mta",
        "dsn-gateway",
        "received-from-mta",
        "arrival-date",
        "original-envelope-id",
        "x-postfix-queue-id",
        "x-postfix-sender",
        "x-original-message-id",
        "x-sender",
    }
)
_STARTS_RECIPIENT = ("final-recipient", "original-recipient")
# Searched in the text with a newline put in front: a match starts with a newline (where
# a line starts), which the regex engine finds quickly.
_FIELDS_RE = re.compile(r"(?i)\n(?:final-recipient|original-recipient)[ \t]*:")


def has_fields(text: str) -> bool:
    return _FIELDS_RE.search("\n" + text) is not None


_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _unfolded(text: str) -> list[tuple[str, str]]:
    """(lower-case name, value) per field line, continuation lines joined to the line
    before; ("", "") for a blank line, ("?", line) for a line that is not a field."""
    fields: list[tuple[str, str]] = []
    append = fields.append
    match_field = _FIELD_RE.match
    joinable = False  # whether a continuation line joins the entry before it
    for line in text.split("\n", 5000)[:5000]:
        if line[:1] in _LETTERS:
            # Neither blank nor a continuation: a field, or a line that is not one.
            match = match_field(line, 0, 4000)
            if match:
                name, value = match.groups()
                append((name.lower(), value.strip()))
            else:
                append(("?", line.strip()))
            joinable = True
            continue
        stripped = line.strip()
        if not stripped:
            append(("", ""))
            joinable = False
        elif joinable and line[0] in " \t":
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {stripped}")
        else:
            match = match_field(line, 0, 4000)
            if match:
                name, value = match.groups()
                append((name.lower(), value.strip()))
            else:
                append(("?", stripped))
            joinable = True
    return fields


def parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Split delivery-status text into (per-message fields, per-recipient field dicts)."""
    message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last = ""
    for name, value in _unfolded(text):
        if not name:
            last = ""
            continue
        if name == "?":
            # A continuation line that lost its indentation (seen in Diagnostic-Code).
            if (
                current is not None
                and last == "diagnostic-code"
                and value
                and ":" not in value[:30]
            ):
                current[last] = f"{current[last]} {value}"
            continue
        last = name
        if name in _STARTS_RECIPIENT:
            if current is None or name in current:
                current = {}
                recipients.append(current)
            current[name] = value
        elif name in PER_RECIPIENT:
            if current is None:
                current = {}
                recipients.append(current)
            current.setdefault(name, value)
        elif name in PER_MESSAGE:
            message.setdefault(name, value)
    return message, recipients


def strip_type(value: str) -> tuple[str, str]:
    """`"rfc822; a@b"` -> ("rfc822", "a@b"); `"dns; mx.example"` -> ("dns", "mx.example")."""
    if ";" in value:
        kind, _, rest = value.partition(";")
        if len(kind) <= 20 and " " not in kind.strip():
            return kind.strip().upper(), rest.strip()
    return "", value.strip()
