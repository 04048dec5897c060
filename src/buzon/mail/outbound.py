"""Building the email a notification becomes (RFC 5322, MIME).

One message per notification, the same bytes for every recipient:

- multipart/alternative: the plain-text body and a sanitised HTML body, both UTF-8
  and quoted-printable, so long lines are wrapped and the result is 7-bit ASCII;
- From: the support address, named after the agent who commented ("Name (Account)");
  Reply-To: the support address; To: the requester; Cc: the email CCs;
- a new Message-ID, and In-Reply-To / References from the ticket's thread index;
- the ticket's encoded id at the end of the body ([ABC123-DEF4]) and in
  X-Buzon-Ticket-Id, so replies find their ticket even without threading headers;
- no Auto-Submitted header: these are not automatic replies.

Any text a ticket can hold goes in: malformed encoded words, lone surrogates, control
characters, very long words, right-to-left marks. Header fields are written here, not
by the email package (whose header folding decodes text that merely looks like an
encoded word, changing it or crashing on it): line breaks and control characters
become spaces, lone surrogates U+FFFD; text that is not plain printable ASCII — or
that contains "=?" — is written whole as RFC 2047 encoded words (UTF-8, base64, never
splitting a character), so a reader decodes exactly the text the ticket holds. No
field can inject a header. The email package builds only the MIME body. Before the
message is handed on, Python's strict parser reads it back: a message it refuses is
never sent (`build` raises, the notification records the error).
"""

from __future__ import annotations

import html
import re
import secrets
from base64 import b64encode
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

from buzon.mail.addresses import InvalidAddress, check_address
from buzon.tickets.html import sanitize_html, text_to_html

# Control characters (and Unicode line/paragraph separators) never reach a header.
_HEADER_JUNK = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+")
_BODY_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone surrogate (from JSON's "\ud800", or undecodable bytes) cannot be encoded.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PRINTABLE = re.compile(r"[ -~]*")
LINE = 78  # RFC 5322's recommended line length (998 is the limit)
EW_BYTES = 45  # UTF-8 bytes per encoded word: 60 base64 characters, 72 with the frame
# A Message-ID we are willing to repeat in References (ours, or one read from mail).
_MSG_ID = re.compile(r"[!-;=?-~]{1,250}@[!-;=?-~]{1,250}")
MAX_REFERENCES = 20
MAX_NAME = 200
MAX_SUBJECT = 900


def header_text(value: object, limit: int = MAX_SUBJECT) -> str:
    """One line of text for a header: no CR, LF or control characters, spaces collapsed,
    lone surrogates replaced (U+FFFD)."""
    text = _HEADER_JUNK.sub(" ", _SURROGATE.sub("\ufffd", str(value or "")))
    text = " ".join(text.split())
    return text[:limit].strip()


def body_text(value: str) -> str:
    """Body text with CRLF/CR made LF, other control characters removed and lone
    surrogates replaced (U+FFFD)."""
    value = _SURROGATE.sub("\ufffd", value)
    return _BODY_JUNK.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 encoded words (UTF-8, base64), each at most 72 characters and
    holding whole characters, as RFC 2047 requires. A word ends after a space where it
    can: readers ignore the whitespace between encoded words (RFC 2047, 6.2), so each
    space of the text is inside a word."""
    words: list[str] = []
    start = 0
    while start < len(text):
        end, size = start, 0
        while end < len(text):
            width = len(text[end].encode("utf-8"))
            if size + width > EW_BYTES:
                break
            size += width
            end += 1
        if end < len(text):
            space = text.rfind(" ", start, end)
            if space > start:
                end = space + 1
        data = text[start:end].encode("utf-8")
        words.append(f"=?utf-8?b?{b64encode(data).decode()}?=")
        start = end
    return words


def _is_plain(text: str) -> bool:
    """Printable ASCII a reader takes literally: no "=?", no word too long to fold."""
    return (
        _PRINTABLE.fullmatch(text) is not None
        and "=?" not in text
        and all(len(word) <= LINE - 12 for word in text.split(" "))
    )


def fold(name: str, tokens: list[str]) -> str:
    """A header line: `tokens` separated by spaces, folded before a token when the line
    would pass 78 characters; CRLF at the end."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return "\r\n".join(lines) + "\r\n"


def unstructured(text: str) -> list[str]:
    """Tokens of an unstructured field (Subject): its words, or its encoded words."""
    if _is_plain(text):
        return [word for word in text.split(" ") if word]
    return encoded_words(text)


def mailbox(name: str, address: str) -> list[str]:
    """Tokens of `Name <address>` (the address already checked: a dot-atom at a host)."""
    if not name:
        return [address]
    if _ATOMS.fullmatch(name) and "=?" not in name:
        phrase = name.split(" ")
    elif _is_plain(name) and len(name) < 40:
        phrase = ['"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"']
    else:
        phrase = encoded_words(name)
    return [*phrase, f"<{address}>"]


def address_list(name: str, mailboxes: list[list[str]]) -> str:
    """An address field, one mailbox per line after the first."""
    joined: list[str] = []
    for n, tokens in enumerate(mailboxes):
        joined.extend(tokens[:-1])
        joined.append(tokens[-1] + ("," if n < len(mailboxes) - 1 else ""))
    return fold(name, joined)


def new_message_id(domain: str, encoded_id: str = "") -> str:
    """A fresh Message-ID (without angle brackets) at the support address's domain."""
    left = secrets.token_hex(10)
    if encoded_id:
        left = f"{re.sub(r'[^A-Za-z0-9-]', '', encoded_id)}.{left}"
    return f"{left}@{domain}"


def clean_message_ids(ids: Iterable[str]) -> list[str]:
    """The ids that are safe to repeat in a header, without brackets, in order."""
    result: list[str] = []
    for raw in ids:
        value = (raw or "").strip().strip("<>")
        if _MSG_ID.fullmatch(value) and value not in result:
            result.append(value)
    return result


def thread_headers(earlier: list[str]) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a message following `earlier` (oldest first).

    References keeps the first message (the root) and the most recent ones, at most
    MAX_REFERENCES in all, as RFC 5322 suggests when a chain gets long.
    """
    ids = clean_message_ids(earlier)
    if not ids:
        return "", []
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids[-1], ids


@dataclass(frozen=True)
class Party:
    name: str
    email: str


@dataclass(frozen=True)
class Draft:
    """Everything the message is made of; `build` turns it into bytes."""

    message_id: str
    subject: str
    text: str
    html: str
    from_name: str
    support_address: str
    to: list[Party]
    cc: list[Party]
    in_reply_to: str
    references: list[str]
    encoded_id: str
    date: datetime


def header_mailbox(party: Party) -> list[str] | None:
    """The tokens of a To/Cc mailbox, or None when the address cannot be one."""
    try:
        address = check_address(party.email)
    except InvalidAddress:
        return None
    return mailbox(header_text(party.name, MAX_NAME), address)


def build(draft: Draft) -> bytes:
    """The message as sent: CRLF line ends, 7-bit ASCII, no line over 998 octets, and
    nothing Python's strict parser refuses (ValueError otherwise)."""
    support = check_address(draft.support_address)
    ids = clean_message_ids([draft.message_id])
    if not ids:
        raise ValueError(f"not a Message-ID: {draft.message_id!r}")
    head = [
        fold("Date", [format_datetime(draft.date)]),
        address_list("From", [mailbox(header_text(draft.from_name, MAX_NAME), support)]),
        address_list("Reply-To", [mailbox("", support)]),
    ]
    to = [m for m in map(header_mailbox, draft.to) if m is not None]
    cc = [m for m in map(header_mailbox, draft.cc) if m is not None]
    if to:
        head.append(address_list("To", to))
    if cc:
        head.append(address_list("Cc", cc))
    head.append(fold("Subject", unstructured(header_text(draft.subject))))
    head.append(fold("Message-ID", [f"<{ids[0]}>"]))
    in_reply_to = clean_message_ids([draft.in_reply_to]) if draft.in_reply_to else []
    if in_reply_to:
        head.append(fold("In-Reply-To", [f"<{in_reply_to[0]}>"]))
    references = clean_message_ids(draft.references)
    if references:
        head.append(fold("References", [f"<{r}>" for r in references]))
    encoded_id = header_text(draft.encoded_id, 40)
    head.append(fold("X-Buzon-Ticket-Id", unstructured(encoded_id)))
    marker = f"[{encoded_id}]"
    raw = "".join(head).encode("ascii") + _body(draft, marker)
    _check(raw)
    return raw


def _body(draft: Draft, marker: str) -> bytes:
    """The MIME part of the message (its content headers and the two bodies)."""
    msg = EmailMessage(policy=policy.SMTP)
    text = body_text(draft.text).rstrip() + f"\n\n{marker}\n"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(
        html_document(draft.html, draft.subject, marker),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    for part in msg.iter_parts():
        del part["MIME-Version"]  # only the top level carries it
    return msg.as_bytes()


def _check(raw: bytes) -> None:
    """Refuse what must not be sent: a line over 998 octets, 8-bit data, or anything
    Python's strict parser (policy.strict) finds a defect in, in any header or part."""
    if not raw.isascii() or any(len(line) > 998 for line in raw.split(b"\r\n")):
        raise ValueError("the built message is not 7-bit with lines of at most 998 octets")
    try:
        message = message_from_bytes(raw, policy=policy.strict)
        for part in message.walk():
            for name, value in part.items():  # each field parsed (headerregistry)
                if value.defects:
                    raise ValueError(f"{name}: {value.defects}")
            if part.defects:
                raise ValueError(f"{part.get_content_type()}: {part.defects}")
    except Exception as exc:
        raise ValueError(f"a strict parser refuses the built message: {exc}") from exc


def html_document(body_html: str, subject: str, marker: str) -> str:
    """A whole HTML document around the (sanitised) body and the encoded id."""
    subject = _SURROGATE.sub("\ufffd", subject)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(header_text(subject))}</title></head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; '
        'line-height: 1.5; color: #1f2937;">\n'
        f"<div>{sanitize_html(body_html)}</div>\n"
        '<p style="color: #9ca3af; font-size: 11px; margin-top: 24px;">'
        f"{html.escape(marker)}</p>\n</body></html>\n"
    )


def html_from_text(text: str) -> str:
    """The HTML part when only a plain body is known."""
    return text_to_html(body_text(text))
