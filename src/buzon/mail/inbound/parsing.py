"""Reading a stored message, with bounds: hostile bytes become an error, never a crash.

The caps are checked on the raw bytes before anything is parsed (header section size,
header count, number of multipart containers), then on the parsed tree (nesting
depth). Parsing uses the standard library's `compat32` policy, which never parses a
header on its own; every header this module decodes goes through `_decode` /
`_addresses`, which fall back to the raw text when a header is broken, and drop
control characters (so a CR/LF in an address cannot become a header anywhere).

`parse` reads the header section only; the MIME tree (bodies, attachments) is parsed
on first use (`Parsed.tree`), so a delivery report, which routing records from its
headers and the bounce parser's reading, costs no MIME parse. When the bytes could
hold a tree deeper than the nesting cap (`_may_nest_too_deep`, a bound counted on
the bytes), the tree is parsed at once and checked, as before: such a message is
unreadable whatever it is.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from functools import cached_property

from django.conf import settings

from buzon.mail.addresses import InvalidAddress, check_address
from buzon.mail.inbound.store import header_block

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]+")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:", re.MULTILINE)
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
# What can add a level to the MIME tree: a multipart's boundary, a message/* type.
_NESTING = re.compile(rb"boundary|message/", re.IGNORECASE)
_MSG_ID = re.compile(r"<([^<>\s]{1,250}@[^<>\s]{1,250})>")
MAX_TEXT = 1_000_000  # characters of a body part kept for the comment
MAX_ATTACHMENTS = 100
MAX_MULTIPARTS = 200


class Unreadable(ValueError):
    """The message breaks a cap or cannot be parsed; the text says which, for admins."""


@dataclass
class Parsed:
    message: Message  # the header section (its body unparsed: see `tree`)
    from_address: str  # checked, "" when the From header has no usable address
    from_name: str
    sender_address: str  # Sender: header (checked), "" if none
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    raw: bytes = field(default=b"", repr=False)
    _tree: Message | None = field(default=None, repr=False)
    # (first text/plain body, first text/html body, attachments' metadata), worked out
    # on first use: a delivery report is recorded without them.
    _bodies: tuple[str, str, list[dict]] | None = field(default=None, repr=False)

    def header(self, name: str) -> str:
        return header(self.message, name)

    # The recipients' headers, read when asked (a person's message; a report never).
    @cached_property
    def reply_to(self) -> str:
        found = _addresses(self.message, "Reply-To")
        return found[0][1] if found else ""

    @cached_property
    def to(self) -> list[str]:
        return [a for _, a in _addresses(self.message, "To")]

    @cached_property
    def cc(self) -> list[str]:
        return [a for _, a in _addresses(self.message, "Cc")]

    @property
    def text(self) -> str:
        return self.bodies()[0]

    @property
    def html(self) -> str:
        return self.bodies()[1]

    @property
    def attachments(self) -> list[dict]:
        return self.bodies()[2]

    def bodies(self) -> tuple[str, str, list[dict]]:
        if self._bodies is None:
            self._bodies = _bodies(self.tree())
        return self._bodies

    def tree(self) -> Message:
        """The whole message, its MIME tree parsed (on first use). Raises Unreadable."""
        if self._tree is None:
            self._tree = _tree(self.raw)
        return self._tree


def check_caps(raw: bytes) -> None:
    head = header_block(raw)
    if len(head) > settings.INBOUND_MAX_HEADER_BYTES:
        raise Unreadable(
            f"header section of {len(head):,} bytes; the limit is "
            f"{settings.INBOUND_MAX_HEADER_BYTES:,} (BUZON_INBOUND_MAX_HEADER_BYTES)"
        )
    count = len(_HEADER_LINE.findall(head))
    if count > settings.INBOUND_MAX_HEADERS:
        raise Unreadable(
            f"{count:,} header fields; the limit is {settings.INBOUND_MAX_HEADERS:,} "
            "(BUZON_INBOUND_MAX_HEADERS)"
        )
    multiparts = len(_BOUNDARY.findall(raw))
    if multiparts > MAX_MULTIPARTS:
        raise Unreadable(f"{multiparts:,} multipart containers; the limit is {MAX_MULTIPARTS}")


def depth(message: Message) -> int:
    """How deep the MIME tree goes (iteratively: no recursion on hostile input)."""
    deepest = 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, level + 1) for p in payload if isinstance(p, Message))
    return deepest


def _may_nest_too_deep(raw: bytes) -> bool:
    """Could the MIME tree be nested deeper than the cap? A level below the top is
    a part of a multipart, which declares a boundary (a multipart/digest's parts are
    message/rfc822 by default: two levels for that boundary), or the message in a
    message/* part, whose type says so; the standard parser makes no level of
    anything else. So 1 + 2 × "boundary" + "message/" (counted in any case anywhere
    in the bytes: never fewer than there are) bounds the depth. Linear in the size."""
    bound = 1
    for found in _NESTING.finditer(raw):
        bound += 2 if found.group()[:1] in b"bB" else 1
        if bound > settings.INBOUND_MAX_DEPTH:
            return True
    return False


def _tree(raw: bytes) -> Message:
    """The whole message parsed, its nesting checked. Raises Unreadable."""
    try:
        message = message_from_bytes(raw, policy=email_policy.compat32)
    except (RecursionError, MemoryError) as exc:
        raise Unreadable(f"cannot parse the message: {type(exc).__name__}") from None
    levels = depth(message)
    if levels > settings.INBOUND_MAX_DEPTH:
        raise Unreadable(
            f"MIME parts nested {levels} deep; the limit is {settings.INBOUND_MAX_DEPTH} "
            "(BUZON_INBOUND_MAX_DEPTH)"
        )
    return message


def _header_section(raw: bytes) -> Message:
    """The header fields alone, as the whole message's parse reads them."""
    return BytesHeaderParser(policy=email_policy.compat32).parsebytes(header_block(raw))


def parse(raw: bytes) -> Parsed:
    """The parts of a message the router needs: its header fields, the MIME tree
    only when it could break the nesting cap (see `Parsed.tree`). Raises Unreadable."""
    check_caps(raw)
    tree = _tree(raw) if _may_nest_too_deep(raw) else None
    # The standard parser ends the header section at the first empty line, never
    # after `header_block`'s end: the same fields either way.
    message = tree if tree is not None else _header_section(raw)
    froms = _addresses(message, "From")
    from_name, from_address = froms[0] if froms else ("", "")
    senders = _addresses(message, "Sender")
    return Parsed(
        message=message,
        from_address=from_address,
        from_name=from_name,
        sender_address=senders[0][1] if senders else "",
        subject=header(message, "Subject")[:998],
        message_id=(message_ids(header(message, "Message-ID")) or [""])[0],
        in_reply_to=message_ids(header(message, "In-Reply-To")),
        references=message_ids(header(message, "References")),
        raw=raw,
        _tree=tree,
    )


def header(message: Message, name: str) -> str:
    """A header decoded to one line of text ("" when absent or unreadable)."""
    try:
        value = message.get(name)
    except Exception:
        return ""
    if value is None:
        return ""
    return _decode(value)


def _decode(value: object) -> str:
    raw = str(value)
    try:
        text = str(make_header(decode_header(raw)))
    except Exception:
        text = raw
    return " ".join(_CONTROL.sub(" ", text).split())


def message_ids(value: str) -> list[str]:
    """The <id@host> tokens of a header, without brackets, in order, at most 100."""
    found: list[str] = []
    for match in _MSG_ID.finditer(value[:100_000]):
        if match.group(1) not in found:
            found.append(match.group(1))
        if len(found) >= 100:
            break
    return found


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, checked address) pairs of an address header; invalid ones dropped.

    The header is split into addresses exactly as the sender wrote it, before any
    RFC 2047 encoded word is decoded: an encoded word is only ever text inside a
    display name, so it can never create an `@`, a comma or another address
    (`=?utf-8?q?ceo=40bank.example?= <eve@evil.example>` is eve@evil.example). Only
    then is each display name decoded. Control characters (CR/LF) become spaces, so
    nothing can be smuggled into a header we build from these.
    """
    result: list[tuple[str, str]] = []
    for value in raw_values(message, name)[:20]:
        try:
            pairs = getaddresses([_CONTROL.sub(" ", value[:10_000])])
        except Exception:
            continue
        for display, addr in pairs[:200]:
            try:
                checked = check_address(addr.strip())
            except InvalidAddress:
                continue
            result.append((_decode(display)[:255], checked))
    return result


def raw_values(message: Message, name: str) -> list[str]:
    """Every value of a header as the sender wrote it: encoded words still encoded,
    raw 8-bit text (RFC 6532) read as UTF-8."""
    wanted = name.lower()
    values: list[str] = []
    try:
        items = message.raw_items()
        for key, value in items:
            if key.lower() == wanted:
                text = str(value)
                with contextlib.suppress(UnicodeError):  # already text: keep it
                    text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
                values.append(text)
    except Exception:
        return []
    return values


def part_text(part: Message) -> str:
    """A text part's content as str, whatever its (declared, possibly bogus) charset."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    payload = payload[: MAX_TEXT * 4]
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
        codecs.lookup(charset)
    except (LookupError, Exception):
        charset = "utf-8"
    try:
        text = payload.decode(charset, "replace")
    except Exception:
        text = payload.decode("utf-8", "replace")
    return text.replace("\x00", "")[:MAX_TEXT]


def _bodies(message: Message) -> tuple[str, str, list[dict]]:
    """(first text/plain body, first text/html body, attachments' metadata)."""
    text = html = ""
    attachments: list[dict] = []
    for part in _walk(message):
        try:
            ctype = part.get_content_type()
            disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
            filename = part.get_filename()
        except Exception:
            ctype, disposition, filename = "application/octet-stream", "attachment", None
        if part.is_multipart() and not ctype.startswith("message/"):
            continue
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            if ctype == "text/plain" and not text:
                text = part_text(part)
            elif ctype == "text/html" and not html:
                html = part_text(part)
            continue
        if len(attachments) < MAX_ATTACHMENTS:
            attachments.append(
                {
                    "file_name": _decode(filename or "")[:255] or "(unnamed)",
                    "content_type": _decode(ctype)[:100],
                    "size": _size(part),
                }
            )
    return text, html, attachments


def _walk(message: Message) -> Iterator[Message]:
    stack = [message]
    while stack:
        part = stack.pop(0)
        yield part
        payload = part.get_payload()
        if isinstance(payload, list) and not part.get_content_type().startswith("message/"):
            stack[0:0] = [p for p in payload if isinstance(p, Message)]


def _size(part: Message) -> int:
    if part.is_multipart():
        return len(str(part))
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return 0
    return len(payload) if isinstance(payload, bytes) else 0
