"""Sendmail-style text bounces without a delivery-status part (V5 sendmail, Active!Hunter,
InterScan, old sendmail and its imitators).

Their notice has up to two sections, each opened by a dashed banner line:

    ----- The following addresses had permanent fatal errors -----
    <kijitora@example.jp>
        (reason: 550 5.1.1 User unknown)
    ----- Transcript of session follows -----
    ... while talking to mx.example.jp.:
    >>> RCPT To:<kijitora@example.jp>
    <<< 550 5.1.1 <kijitora@example.jp>... User unknown
    550 5.1.1 <kijitora@example.jp>... User unknown

In the transcript, `>>>` lines are the commands sent, `<<<` lines the remote replies,
and `NNN <address>... text` lines sendmail's verdict on one recipient. A "while talking
to" line opens a new SMTP session.
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, squash

NAME = "transcript"

_BANNER_RE = re.compile(r"^\s*-{3,}\s*(?P<title>[^-].*?)\s*-{3,}\s*$")
_SESSION_RE = re.compile(r"(?i)^\s*(?:\.\.\.\s*)?while talking to\s")
_SENT_RE = re.compile(r"^\s*>>>\s*(?P<command>\S+)")
_REPLY_RE = re.compile(r"^\s*<<<\s*(?P<text>.*)$")
_VERDICT_RE = re.compile(
    r"^\s*(?P<code>[245]\d\d)(?:[ -][245]\.\d{1,3}\.\d{1,3})?\s+"
    r"<?(?P<addr>[^\s<>]{1,254}@[^\s<>]{1,254}?)>?\.\.\.\s*(?P<text>.*)$"
)
_LISTED_RE = re.compile(r"^\s*(?:>>>\s*)?<?(?P<addr>[^\s<>()]{1,254}@[^\s<>()]{1,254}?)>?(?:\s|$)")
_FATAL_TITLES = ("addresses had permanent fatal errors", "following addresses had", "fatal errors")
_TRANSCRIPT_TITLES = ("transcript of", "session transcript")


def detect(mail: Mail) -> bool:
    if mail.delivery_status_texts:
        return False
    head = mail.notification[:20000].lower()
    return (
        "transcript of session follows" in head
        or "had permanent fatal errors" in head
        or ("transcript of the session follows" in head)
    )


def extract(mail: Mail) -> list[Fact]:
    lines = mail.notification.split("\n", 3000)[:3000]
    section = ""
    listed: dict[str, list[str]] = {}
    facts: dict[str, Fact] = {}
    command = ""
    pending: list[str] = []
    transcript_text: list[str] = []
    current_listed = ""
    for line in lines:
        banner = _BANNER_RE.match(line)
        if banner:
            title = banner.group("title").lower()
            if any(t in title for t in _FATAL_TITLES):
                section = "fatal"
            elif any(t in title for t in _TRANSCRIPT_TITLES):
                section = "transcript"
            else:
                section = ""
            current_listed = ""
            continue
        if section == "fatal":
            found = _LISTED_RE.match(line)
            value = address.clean(found.group("addr")) if found else ""
            if value:
                current_listed = value
                listed.setdefault(value, [])
            elif current_listed and line.strip():
                listed[current_listed].append(line.strip())
            continue
        if section != "transcript":
            continue
        if _SESSION_RE.match(line):
            command, pending = "", []
            continue
        sent = _SENT_RE.match(line)
        if sent:
            command = command_name(sent.group("command"))
            continue
        reply = _REPLY_RE.match(line)
        if reply:
            pending.append(reply.group("text").strip())
            continue
        verdict = _VERDICT_RE.match(line)
        value = address.clean(verdict.group("addr")) if verdict else ""
        if verdict is None or not value:
            if line.strip():
                pending.append(line.strip())
                transcript_text.append(line.strip())
            continue
        text = verdict.group("text").strip()
        code = smtp.find_reply_code(text) if text[:1].isdigit() else ""
        said = " ".join(pending)
        if value.lower() not in {k.lower() for k in facts}:
            facts[value] = Fact(
                recipient=value,
                reply_code=code or smtp.find_reply_code(said) or verdict.group("code"),
                diagnostic=squash(f"{text} {said}" if said else text),
                command=command,
                format=NAME,
            )
        command, pending = "", []
    for value, notes in listed.items():
        if value.lower() in {k.lower() for k in facts}:
            continue
        text = " ".join(notes)
        match = re.search(r"\(reason:\s*(.*?)\)?$", text)
        diagnostic = match.group(1) if match else text
        if not diagnostic and len(listed) == 1:
            diagnostic = " ".join(transcript_text)
        facts[value] = Fact(recipient=value, diagnostic=squash(diagnostic), format=NAME)
    if listed:
        # The fatal-errors list is authoritative: transcript lines may name other parties.
        keep = {k.lower() for k in listed}
        chosen = [f for k, f in facts.items() if k.lower() in keep]
        if chosen:
            _fill_from_transcript(chosen, lines)
            return chosen
    return list(facts.values())


# A verdict on one recipient, whatever it names: an address, a program ("|procmail"), a file.
_ANY_VERDICT_RE = re.compile(
    r"^\s*(?P<code>[245]\d\d)(?:[ -][245]\.\d{1,3}\.\d{1,3})?\s+(?P<who>\S.{0,300}?)\.\.\.\s*"
    r"(?P<text>.*)$"
)


def verdicts(text: str) -> list[tuple[str, Fact]]:
    """Each `NNN <who>... text` verdict of a session transcript, with what led to it.

    `who` is the recipient as sendmail wrote it (an address, or a program or file it
    was expanded to); the fact carries the reply code, the command sent last and the
    verdict's text after the remote replies and delivery-agent lines that preceded it.
    """
    found: list[tuple[str, Fact]] = []
    in_transcript = False
    command = ""
    pending: list[str] = []
    for line in text.split("\n", 3000)[:3000]:
        banner = _BANNER_RE.match(line)
        if banner:
            in_transcript = any(t in banner.group("title").lower() for t in _TRANSCRIPT_TITLES)
            continue
        if not in_transcript:
            continue
        if _SESSION_RE.match(line):
            command, pending = "", []
            continue
        sent = _SENT_RE.match(line)
        if sent:
            command = command_name(sent.group("command"))
            continue
        reply = _REPLY_RE.match(line)
        verdict = None if reply else _ANY_VERDICT_RE.match(line)
        if verdict is None:
            said = reply.group("text") if reply else line
            if said.strip():
                pending.append(said.strip())
            continue
        said = " ".join(pending)
        verdict_text = verdict.group("text").strip()
        who = verdict.group("who").strip()
        if not address.clean(who):
            # A program or file the address expanded to: it says who failed.
            verdict_text = f"{who}... {verdict_text}"
        found.append(
            (
                who,
                Fact(
                    reply_code=smtp.find_reply_code(said) or verdict.group("code"),
                    diagnostic=squash(f"{verdict_text} {said}" if said else verdict_text),
                    command=command,
                    format=NAME,
                ),
            )
        )
        command, pending = "", []
    return found


def command_name(word: str) -> str:
    """The SMTP command a transcript's command word stands for ("RCPT", "EHLO", ...)."""
    word = word.upper().rstrip(":")
    if word.startswith("RCPT"):
        return "RCPT"
    if word.startswith("MAIL"):
        return "MAIL"
    if word in ("HELO", "EHLO"):
        return "EHLO"
    if word in ("DATA", "BDAT", "STARTTLS", "QUIT", "AUTH"):
        return word
    return ""


def failing_command(text: str) -> str:
    """In a session transcript, the command sent (`>>>`) just before the first error reply."""
    if ">>>" not in text:
        return ""
    command = ""
    for line in text.split("\n", 3000)[:3000]:
        sent = _SENT_RE.match(line)
        if sent:
            command = command_name(sent.group("command"))
            continue
        reply = _REPLY_RE.match(line)
        if reply and reply.group("text").lstrip()[:1] in ("4", "5"):
            return command
    return ""


_ERROR_LINE_RE = re.compile(r"^\s*(?:<<<\s*)?(?P<code>[45][0-5]\d)(?:[ \-]|$)")


def error_reply_codes(text: str) -> list[str]:
    """The 4xx/5xx reply codes that open lines of the transcript section, in order
    ("<<< 421", "451 4.0.0 Operating system error", "550 5.0.0 <a@b>... text")."""
    found: list[str] = []
    in_transcript = False
    for line in text.split("\n", 3000)[:3000]:
        banner = _BANNER_RE.match(line)
        if banner:
            in_transcript = any(t in banner.group("title").lower() for t in _TRANSCRIPT_TITLES)
            continue
        match = _ERROR_LINE_RE.match(line) if in_transcript else None
        if match:
            found.append(match.group("code"))
    return found


def _fill_from_transcript(facts: list[Fact], lines: list[str]) -> None:
    """With one failed recipient, the transcript's last command and reply are about it."""
    if len(facts) != 1 or facts[0].command:
        return
    command, said = "", ""
    in_transcript = False
    for line in lines:
        banner = _BANNER_RE.match(line)
        if banner:
            in_transcript = any(t in banner.group("title").lower() for t in _TRANSCRIPT_TITLES)
            continue
        if not in_transcript:
            continue
        sent = _SENT_RE.match(line)
        if sent:
            command = command_name(sent.group("command"))
            continue
        reply = _REPLY_RE.match(line)
        if reply and not said:
            said = reply.group("text").strip()
    fact = facts[0]
    fact.command = command
    if said and said not in fact.diagnostic:
        fact.diagnostic = squash(f"{fact.diagnostic} {said}") if fact.diagnostic else said
