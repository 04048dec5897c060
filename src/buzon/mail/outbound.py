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

Every header value is built from structured parts (`headerregistry.Address`) after
line breaks and control characters are removed, and non-ASCII text is RFC 2047
encoded by the email package: no field can inject a header.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from buzon.mail.addresses import InvalidAddress, check_address
from buzon.tickets.html import sanitize_html, text_to_html

# Control characters (and Unicode line/paragraph separators) never reach a header.
_HEADER_JUNK = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+")
_BODY_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A Message-ID we are willing to repeat in References (ours, or one read from mail).
_MSG_ID = re.compile(r"[!-;=?-~]{1,250}@[!-;=?-~]{1,250}")
MAX_REFERENCES = 20
MAX_NAME = 200
MAX_SUBJECT = 900


def header_text(value: object, limit: int = MAX_SUBJECT) -> str:
    """One line of text for a header: no CR, LF or control characters, spaces collapsed."""
    text = _HEADER_JUNK.sub(" ", str(value or ""))
    text = " ".join(text.split())
    return text[:limit].strip()


def body_text(value: str) -> str:
    """Body text with CRLF/CR made LF and other control characters removed."""
    return _BODY_JUNK.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


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


def header_address(party: Party) -> Address | None:
    """An address for a To/Cc/From header, or None when it cannot be one."""
    try:
        addr = check_address(party.email)
    except InvalidAddress:
        return None
    local, _, domain = addr.rpartition("@")
    return Address(display_name=header_text(party.name, MAX_NAME), username=local, domain=domain)


def build(draft: Draft) -> bytes:
    """The message as sent: CRLF line ends, 7-bit ASCII, no line over 998 octets."""
    msg = EmailMessage(policy=policy.SMTP)
    support = check_address(draft.support_address)
    local, _, domain = support.rpartition("@")
    msg["Date"] = format_datetime(draft.date)
    msg["From"] = Address(header_text(draft.from_name, MAX_NAME), local, domain)
    msg["Reply-To"] = Address("", local, domain)
    to = [a for a in map(header_address, draft.to) if a is not None]
    cc = [a for a in map(header_address, draft.cc) if a is not None]
    if to:
        msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = header_text(draft.subject)
    msg["Message-ID"] = f"<{draft.message_id}>"
    if draft.in_reply_to:
        msg["In-Reply-To"] = f"<{draft.in_reply_to}>"
    if draft.references:
        msg["References"] = " ".join(f"<{r}>" for r in draft.references)
    msg["X-Buzon-Ticket-Id"] = header_text(draft.encoded_id, 40)
    marker = f"[{header_text(draft.encoded_id, 40)}]"
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
    raw = msg.as_bytes()
    if any(len(line) > 998 for line in raw.split(b"\r\n")):  # pragma: no cover - guard
        raise ValueError("a line of the built message exceeds 998 octets")
    return raw


def html_document(body_html: str, subject: str, marker: str) -> str:
    """A whole HTML document around the (sanitised) body and the encoded id."""
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
