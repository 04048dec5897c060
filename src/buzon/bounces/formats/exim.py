"""Exim's bounce and delay notices (and MTAs that reuse its wording).

    This message was created automatically by mail delivery software.

    A message that you sent could not be delivered to one or more of its
    recipients. This is a permanent error. The following address(es) failed:

      kijitora@example.jp
        host mx.example.jp [192.0.2.1]
        SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>:
        550 5.1.1 User unknown

    ------ This is a copy of the message, including all the headers. ------

A failed address sits on a line indented by two spaces; the lines indented deeper below
it are its diagnostic. Delay warnings say "has not yet been delivered" instead and use
the same layout. Exim's own wording for local failures names the reason directly.
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, remote_host_in, squash

NAME = "exim"

_FIRST_LINE = "this message was created automatically by mail delivery software"
_LIST_INTROS = (
    "the following address(es) failed:",
    "has not yet been delivered is:",
    "have not yet been delivered are:",
    "could not be delivered to one or more of its recipients. the following",
    "the following address(es) have yet to be delivered:",
    "incorrectly constructed:",
)
_ADDRESS_LINE_RE = re.compile(r"^ {1,3}(?P<value>\S.*?)\s*$")
_BRACKETED_RE = re.compile(r"^\S+ <(?P<addr>[^<>\s]+@[^<>\s]+)>:")
_GENERATED_RE = re.compile(r"^\(generated from (?P<addr>[^\s()]+@[^\s()]+)\)")
_DETAIL_LINE_RE = re.compile(r"^(?: {4,}|\t)\s*(?P<text>\S.*?)\s*$")
_COMMAND_RE = re.compile(
    r"(?i)SMTP error from remote (?:mail server|mailer) after "
    r"(?P<command>RCPT TO|MAIL FROM|end of data|DATA|initial connection|HELO|EHLO|pipelined \w+)"
)
_COMMANDS = {
    "rcpt to": "RCPT",
    "mail from": "MAIL",
    "end of data": "DATA",
    "data": "DATA",
    "initial connection": "CONN",
    "helo": "EHLO",
    "ehlo": "EHLO",
}
# Exim's own messages for failures it decided itself (deliver.c, transports, routers).
_OWN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("userunknown", ("user not found",)),
    (
        "hostunknown",
        (
            "all host address lookups failed permanently",
            "all relevant mx records point to non-existent hosts",
            "unrouteable address",
        ),
    ),
    ("mailboxfull", ("mailbox is full", "error: quota exceed")),
    (
        "notaccept",
        (
            "an mx or srv record indicated no smtp service",
            "no host found for existing smtp connection",
        ),
    ),
    (
        "syntaxerror",
        (
            "angle-brackets nested too deep",
            'expected word or "<"',
            "domain missing in source-routed address",
            "malformed address:",
        ),
    ),
    (
        "systemerror",
        (
            "delivery to file forbidden",
            "delivery to pipe forbidden",
            "local delivery failed",
            "lmtp error after ",
        ),
    ),
    ("contenterror", ('too many "received" headers',)),
)
# Wording of a message still (or no longer) being retried.
_DELAYED = (
    "retry timeout exceeded",
    "no action is required on your part",
    "retry time not reached for any host after a long failure period",
    "all hosts have been failing for a long time and were last tried",
    "delay reason: ",
    "has been frozen",
    "was frozen on arrival by ",
)


def detect(mail: Mail) -> bool:
    if mail.delivery_status_texts:
        return False
    head = mail.body[:600].lower()
    if _FIRST_LINE in head:
        return True
    subject = mail.subject_lower
    if not subject.startswith(("mail delivery failed", "warning: message", "mail failure")):
        return False
    return bool(mail.header("x-failed-recipients")) or "mailer-daemon" in mail.sender


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    lines = text.split("\n", 2000)[:2000]
    start = -1
    for index, line in enumerate(lines):
        lowered = line.lower()
        if any(intro in lowered for intro in _LIST_INTROS):
            start = index + 1
            break
    if start < 0:
        return []
    blocks: list[tuple[str, list[str]]] = []
    for line in lines[start:]:
        if not line.strip():
            if blocks and blocks[-1][1]:
                # A blank line ends a block unless more indented detail follows.
                blocks[-1][1].append("")
            continue
        detail = _DETAIL_LINE_RE.match(line)
        if detail and blocks:
            blocks[-1][1].append(detail.group("text"))
            continue
        listed = _ADDRESS_LINE_RE.match(line)
        if listed:
            blocks.append((listed.group("value"), []))
            continue
        if blocks:
            break
    failed = [address.clean(v) for v in mail.header("x-failed-recipients").split(",")]
    failed = [v for v in failed if v]
    facts: list[Fact] = []
    for value, details in blocks:
        bracketed = _BRACKETED_RE.match(value)
        if bracketed:
            # "orig <addr>: malformed address: ...": the detail follows on the same line.
            details = [value[bracketed.end() :].strip(), *details]
            value = bracketed.group("addr")
        recipient = address.clean(value.split(" ", 1)[0]) or address.find_first(value)
        if not recipient:
            # "an undisclosed address\n  (generated from a@b)": the address we sent to.
            generated = _GENERATED_RE.search(" ".join(details[:2]))
            recipient = address.clean(generated.group("addr")) if generated else ""
        if not recipient:
            # "save to /path", "pipe to |cmd": the failed address is in the header.
            recipient = _from_header(failed, facts)
        if not recipient:
            continue
        facts.append(_fact(recipient, [d for d in details if d]))
    if not facts:
        for recipient in failed:
            facts.append(_fact(recipient, []))
    delayed = _is_delay(mail, text)
    for fact in facts:
        lowered = fact.diagnostic.lower()
        if delayed or any(word in lowered for word in _DELAYED):
            fact.action = "delayed"
    return facts


def _from_header(failed: list[str], facts: list[Fact]) -> str:
    taken = {f.recipient.lower() for f in facts}
    for value in failed:
        if value.lower() not in taken:
            return value
    return ""


def _is_delay(mail: Mail, text: str) -> bool:
    return mail.subject_lower.startswith("warning: message") or (
        "has not yet been delivered" in text[:2000].lower()
    )


def _fact(recipient: str, details: list[str]) -> Fact:
    diagnostic = squash("\n".join(details))
    command = ""
    found = _COMMAND_RE.search(diagnostic)
    if found:
        word = found.group("command").lower()
        command = _COMMANDS.get(word, "")
        if word.startswith("pipelined"):
            command = _COMMANDS.get(word.split(" ", 1)[1], "")
    lowered = diagnostic.lower()
    reason = ""
    for name, words in _OWN_WORDS:
        if any(word in lowered for word in words):
            reason = name
            break
    no_reply = not smtp.find_reply_code(diagnostic)
    if not reason and no_reply and any(word in lowered for word in _DELAYED):
        reason = "expired"
    return Fact(
        recipient=recipient,
        diagnostic=diagnostic,
        command=command,
        remote_mta=remote_host_in(diagnostic),
        reason=reason,
        format=NAME,
    )
