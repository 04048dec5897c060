"""buzon_bounces: read any bounce and say who failed, why, and with which codes.

Public API:

- `parse(message) -> list[BounceRecord]`
- `parse_mailbox(raw_bytes) -> list[BounceRecord]` (every message of an mbox file)
- `BounceRecord`
- `classify(status, reply_code, diagnostic, remote_host=None, command=None) -> Verdict`
  (a named tuple: reason, hard, blame; see `buzon_bounces.blame` for who must act)
- `is_auto_reply(message) -> bool`
- `original_header(message, name) -> str`
- `read(message) -> Mail`: the message parsed once; `parse`, `is_auto_reply` and
  `original_header` take it instead of the bytes (a `Mail` is read-only)

No Django import anywhere in this package: it is usable on its own.
"""

from __future__ import annotations

import email.message

from . import autoreply
from .classify import Verdict, classify
from .mail import Mail
from .parser import parse, parse_mailbox, read
from .record import BounceRecord


def is_auto_reply(message: bytes | str | email.message.Message | Mail) -> bool:
    """True for RFC 3834 auto-replies and the common vacation formats. Never raises."""
    try:
        return autoreply.detect(read(message))
    except Exception:
        return False


def original_header(message: bytes | str | email.message.Message | Mail, name: str) -> str:
    """A header of the returned message inside a bounce (its message/rfc822 or
    text/rfc822-headers part, or the copy quoted in a text-only bounce); "" when the
    bounce returns none, or it has no such header. Never raises."""
    try:
        return read(message).original_header(name).strip()
    except Exception:
        return ""


__all__ = [
    "BounceRecord",
    "Mail",
    "Verdict",
    "classify",
    "is_auto_reply",
    "original_header",
    "parse",
    "parse_mailbox",
    "read",
]
