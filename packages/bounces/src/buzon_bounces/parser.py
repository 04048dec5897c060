"""`parse`: from a raw message to one `BounceRecord` per recipient it reports on."""

from __future__ import annotations

import email.message
import logging
import re
from types import ModuleType

from . import address, autoreply, mime
from .classify import build
from .formats import FALLBACKS, VENDORS, arf, nested
from .formats._base import Fact
from .mail import Mail
from .record import BounceRecord

log = logging.getLogger(__name__)


def _raw_bytes(message: bytes | bytearray | memoryview | str | email.message.Message) -> bytes:
    # A memoryview apart: the compiled build would slice it as a `bytes` (which mypy
    # lets a memoryview stand for), with the bytes operation, which takes no memoryview.
    if isinstance(message, memoryview):
        return message[: mime.MAX_BYTES].tobytes()
    if isinstance(message, bytes | bytearray):
        return bytes(message[: mime.MAX_BYTES])
    if isinstance(message, str):
        return message[: mime.MAX_BYTES].encode("utf-8", "surrogateescape")
    try:
        return message.as_bytes()
    except Exception:
        try:
            return message.as_string().encode("utf-8", "surrogateescape")
        except Exception:
            return b""


def read(message: bytes | str | email.message.Message | Mail) -> Mail:
    """The message as the formats see it; a `Mail` already read is returned as it is,
    so that a caller asking several questions of one message parses it once."""
    if isinstance(message, Mail):
        return message
    return Mail.from_bytes(_raw_bytes(message))


def parse(message: bytes | str | email.message.Message | Mail) -> list[BounceRecord]:
    """Records for every recipient a bounce, auto-reply or complaint reports on.

    Returns an empty list for a message that is none of those. Never raises.
    """
    try:
        mail, facts = _facts(read(message))
        if not facts:
            return []
        original = _original_info(mail)
        records = []
        seen: set[tuple[str, str]] = set()
        for fact in facts:
            recipient = address.clean(fact.recipient)
            if not recipient and fact.reason != "feedback":
                continue  # a complaint that names nobody is still a complaint
            fact.recipient = recipient
            key = (recipient.lower(), fact.reason)
            if key in seen:
                continue
            seen.add(key)
            records.append(build(fact, original))
        return records
    except Exception:  # a hostile message must never take the caller down
        log.debug("bounce parse failed", exc_info=True)
        return []


# An mbox postmark: "From sender Thu Apr 29 23:34:45 2015" after a blank line.
_POSTMARK_RE = re.compile(rb"\n\nFrom \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d")
MAX_MAILBOX_MESSAGES = 1000


def split_mailbox(raw: bytes) -> list[bytes]:
    """The messages of an mbox file (one message if it is not an mbox)."""
    if not raw.startswith(b"From "):
        return [raw]
    messages = []
    start = 0
    for match in _POSTMARK_RE.finditer(raw):
        messages.append(raw[start : match.start() + 1])
        start = match.start() + 2
        if len(messages) >= MAX_MAILBOX_MESSAGES:
            return messages
    messages.append(raw[start:])
    return messages


def parse_mailbox(raw: bytes) -> list[BounceRecord]:
    """`parse` over every message of an mbox file, in order. Never raises."""
    return [record for message in split_mailbox(raw) for record in parse(message)]


def _facts(mail: Mail, depth: int = 0) -> tuple[Mail, list[Fact]]:
    """The facts the first format that recognises `mail` reads, and the message read."""
    if arf.detect(mail):
        return mail, _safe(arf, mail)
    for module in VENDORS:
        try:
            recognised = module.detect(mail)
        except Exception:
            log.debug("detect failed in %s", module.__name__, exc_info=True)
            continue
        if recognised:
            facts = _safe(module, mail)
            if facts:
                return mail, facts
    if depth < 2:
        try:
            inner = nested.inner(mail)
        except Exception:
            log.debug("nested bounce lookup failed", exc_info=True)
            inner = None
        if inner is not None:
            found, facts = _facts(inner, depth + 1)
            if facts:
                return found, facts
    for module in FALLBACKS:
        if _safe_detect(module, mail):
            facts = _safe(module, mail)
            if facts:
                return mail, facts
    if autoreply.detect(mail):
        who = autoreply.who(mail)
        if who:
            return mail, [
                Fact(
                    recipient=who,
                    reason="vacation",
                    format="rfc3834",
                    diagnostic=" ".join(mail.body.split())[:500],
                )
            ]
    return mail, []


def _safe_detect(module: ModuleType, mail: Mail) -> bool:
    try:
        return bool(module.detect(mail))
    except Exception:
        log.debug("detect failed in %s", module.__name__, exc_info=True)
        return False


def _safe(module: ModuleType, mail: Mail) -> list[Fact]:
    try:
        facts: list[Fact] = module.extract(mail)
    except Exception:
        log.debug("extract failed in %s", module.__name__, exc_info=True)
        return []
    for fact in facts:
        if not fact.format:
            fact.format = module.NAME
    return facts


def _original_info(mail: Mail) -> dict[str, str]:
    info = {
        "message_id": mail.original_header("message-id").strip(),
        "from": mime.decode_words(mail.original_header("from")).strip(),
        "subject": mime.decode_words(mail.original_header("subject")).strip(),
        "envelope_id": "",
    }
    for text in mail.delivery_status_texts:
        if "original-envelope-id:" not in text.lower():
            continue
        for line in text.split("\n"):
            if line.lower().startswith("original-envelope-id:"):
                info["envelope_id"] = line.split(":", 1)[1].strip()
                break
    return info
