"""Japanese carriers' and appliances' own notices: au (KDDI, EZweb) and m-FILTER.

au one net (KDDI):

    Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900
         Could not be delivered to: <kijitora@example.dion.ne.jp>
         As their mailbox is full.

EZweb (Postmaster@ezweb.ne.jp), either the failed address alone in angle brackets or:

    Each of the following recipients was rejected by a remote mail server.
        Recipient: <kijitora@ezweb.ne.jp>
        >>> RCPT TO:<kijitora@ezweb.ne.jp>
        <<< 550 <kijitora@ezweb.ne.jp>: User unknown

m-FILTER (X-Mailer: m-FILTER):

    kijitora@example.org
    -------server message
    550 kijitora@example.org... No such user
    -------SMTP command
    DATA
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, squash

NAME = "japan"

_KDDI_RE = re.compile(r"(?i)could not be delivered to:\s*<?(?P<addr>[^\s<>]+@[^\s<>]+)>?")
_KDDI_REASONS = (
    ("mailboxfull", ("as their mailbox is full",)),
    ("userunknown", ("due to unknown user", "the user does not exist")),
)
_EZWEB_RECIPIENT_RE = re.compile(r"^\s*(?:recipient:\s*)?<(?P<addr>[^\s<>]+@[^\s<>]+)>\s*$", re.I)
_EZWEB_REASONS = (
    ("filtered", ("was rejected by a remote mail server", "domain filter")),
    ("expired", ("has been delayed", "送信先メールサーバの事由により送信できませんでした")),
    ("suspend", ("service is suspended", "the user is suspended")),
)
_MFILTER_SECTION_RE = re.compile(r"(?m)^-{7}(?P<name>[a-zA-Z ]+?)\s*$")


def _kind(mail: Mail) -> str:
    sender = mail.sender
    if "@ezweb.ne.jp" in sender and "postmaster" in sender:
        return "ezweb"
    if sender.endswith(("dion.ne.jp", "dion.ne.jp>")) or "auone-net.jp" in mail.header(
        "message-id"
    ):
        return "kddi"
    if mail.header("x-mailer").lower().startswith("m-filter") or (
        mail.subject_lower == "failure notice" and "-------server message" in mail.body[:8000]
    ):
        return "mfilter"
    return ""


def detect(mail: Mail) -> bool:
    return bool(_kind(mail))


def extract(mail: Mail) -> list[Fact]:
    kind = _kind(mail)
    if kind == "kddi":
        return _kddi(mail)
    if kind == "ezweb":
        return _ezweb(mail)
    if kind == "mfilter":
        return _mfilter(mail)
    return []


def _kddi(mail: Mail) -> list[Fact]:
    text = mail.notification
    facts = []
    for found in _KDDI_RE.finditer(text[:20000]):
        value = address.clean(found.group("addr"))
        if not value:
            continue
        diagnostic = squash(text[found.end() : found.end() + 300].split("\n\n")[0])
        lowered = diagnostic.lower()
        reason = next((r for r, ws in _KDDI_REASONS if any(w in lowered for w in ws)), "")
        facts.append(Fact(recipient=value, diagnostic=diagnostic, reason=reason, format=NAME))
    return facts


def _ezweb(mail: Mail) -> list[Fact]:
    text = mail.notification
    lines = text.split("\n", 500)[:500]
    facts: list[Fact] = []
    notes: list[str] = []
    command = ""
    for line in lines:
        found = _EZWEB_RECIPIENT_RE.match(line)
        value = address.clean(found.group("addr")) if found else ""
        if value:
            facts.append(Fact(recipient=value, format=NAME))
            continue
        stripped = line.strip()
        if stripped.startswith(">>>"):
            command = smtp.find_command(stripped) or command
        elif stripped.startswith("<<<"):
            if facts:
                facts[-1].diagnostic = squash(f"{facts[-1].diagnostic} {stripped[3:]}")
        elif stripped and not stripped.startswith("-"):
            notes.append(stripped)
    whole = squash("\n".join(notes))
    for fact in facts:
        fact.command = command
        if not fact.diagnostic:
            fact.diagnostic = whole[:1000]
            lowered = whole.lower()
            fact.reason = next(
                (r for r, ws in _EZWEB_REASONS if any(w.lower() in lowered for w in ws)), ""
            )
    return facts


def _mfilter(mail: Mail) -> list[Fact]:
    text = mail.body
    sections: dict[str, str] = {}
    marks = list(_MFILTER_SECTION_RE.finditer(text[:50000]))
    if not marks:
        return []
    head = text[: marks[0].start()]
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        sections[mark.group("name").strip().lower()] = text[mark.end() : end].strip()
    recipients = [address.clean(line.strip()) for line in head.split("\n")]
    recipients = [r for r in recipients if r]
    diagnostic = squash(sections.get("server message", ""))
    command = (
        smtp.find_command(sections.get("smtp command", ""))
        or sections.get("smtp command", "").strip().upper()[:4]
    )
    if command not in ("CONN", "EHLO", "HELO", "MAIL", "RCPT", "DATA"):
        command = ""
    return [
        Fact(recipient=r, diagnostic=diagnostic, command=command, format=NAME) for r in recipients
    ]
