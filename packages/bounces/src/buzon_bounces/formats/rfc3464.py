"""RFC 3464 / RFC 6533 delivery status notifications, in all their real-world variants.

The `message/delivery-status` part may be missing its blank lines, be labelled
`text/plain`, or sit inline in the body text; recipients without a Diagnostic-Code get
the text the human-readable part gives next to their address.
"""

from __future__ import annotations

import re

from .. import address, dsn, smtp
from ..mail import Mail
from . import transcript
from ._base import Fact, facts_from_dsn, squash

NAME = "rfc3464"


def detect(mail: Mail) -> bool:
    return bool(mail.delivery_status_texts) or dsn.has_fields(mail.body)


def extract(mail: Mail) -> list[Fact]:
    facts = facts_from_dsn(mail)
    if not facts:
        for part in mail.leaves:
            if part.content_type.startswith("text/") and dsn.has_fields(part.text()):
                facts = facts_from_dsn(mail, part.text())
                if facts:
                    break
    add_text_facts(mail, facts)
    for fact in facts:
        fact.format = NAME
    return facts


def add_text_facts(mail: Mail, facts: list[Fact]) -> None:
    """Fill diagnostic and command from the human-readable part where the DSN lacks them."""
    notification = mail.notification
    _add_verdicts(notification, facts)
    for fact in facts:
        if fact.diagnostic and fact.command:
            continue  # nothing to fill in from the text near the recipient
        near = text_near(notification, fact.recipient)
        if not fact.diagnostic:
            fact.diagnostic = near
        if not fact.command:
            fact.command = smtp.find_command(fact.diagnostic) or smtp.find_command(near)
    _add_reply_codes(notification, facts)
    if len(facts) >= 1 and any(not f.command for f in facts):
        command = transcript.failing_command(notification) or smtp.find_command(notification)
        if command:
            for fact in facts:
                fact.command = fact.command or command


def _add_verdicts(notification: str, facts: list[Fact]) -> None:
    """A sendmail transcript's verdict explains a recipient whose DSN fields do not."""
    if not any(not fact.diagnostic for fact in facts) or "..." not in notification:
        return
    found = transcript.verdicts(notification)
    if not found:
        return
    by_address = {address.clean(who).lower(): said for who, said in found}
    for fact in facts:
        if fact.diagnostic:
            continue
        said = by_address.get(fact.recipient.lower())
        if said is None and len(facts) == 1 and len(found) == 1:
            said = found[0][1]  # one recipient, one verdict (e.g. on the program it ran)
        if said is not None:
            fact.diagnostic = said.diagnostic
            fact.reply_code = fact.reply_code or said.reply_code
            fact.command = fact.command or said.command


def _add_reply_codes(notification: str, facts: list[Fact]) -> None:
    """A sendmail transcript's reply code for a recipient whose DSN quotes none (a local
    program's exit code, an empty Diagnostic-Code): the verdict on that recipient, or
    with one recipient, the transcript's first error reply, when its class is the
    Status field's."""
    wanting = [
        f for f in facts if not f.reply_code and f.status and not smtp.find_reply_code(f.diagnostic)
    ]
    if not wanting or "---" not in notification:
        return
    by_address = {
        address.clean(who).lower(): said.reply_code
        for who, said in transcript.verdicts(notification)
        if said.reply_code
    }
    codes = transcript.error_reply_codes(notification) if len(facts) == 1 else []
    for fact in wanting:
        code = by_address.get(fact.recipient.lower()) or (codes[0] if codes else "")
        if code[:1] == fact.status[:1]:
            fact.reply_code = code


_NEAR_SKIP_RE = re.compile(
    r"(?i)^(?:final-recipient|original-recipient|action|status|remote-mta|reporting-mta)\s*:"
)


def text_near(body: str, recipient: str) -> str:
    """The lines right after the first mention of `recipient` in the human-readable text."""
    if not body or not recipient:
        return ""
    wanted = recipient.lower()
    # Lower-casing the whole text gives each line's own lower-cased copy (a newline is
    # neither a cased nor a case-ignorable character: no lower-casing looks past one).
    lowered_body = body.lower()
    first = lowered_body.find(wanted)
    if first < 0:
        return ""
    lines = body.split("\n")
    lowered_lines = lowered_body.split("\n")
    # No line before the one of the first mention mentions it (an address has no newline).
    first_line = lowered_body.count("\n", 0, first)
    for index in range(first_line, min(len(lines), 2000)):
        line = lines[index]
        lowered = lowered_lines[index]
        if wanted in lowered and not _NEAR_SKIP_RE.match(line):
            # Use the text of the original case, not the lower-cased copy.
            start = lowered.index(wanted) + len(wanted)
            after = line[start:].strip(" >:.\t")
            chunk = [after] if len(after) > 3 else []
            for following in lines[index + 1 : index + 6]:
                if (
                    not following.strip()
                    or address.find_first(following)
                    or _NEAR_SKIP_RE.match(following)
                ):
                    break
                chunk.append(following)
            if chunk:
                return squash("\n".join(chunk))
            # A bare list entry ("<addr>" under a heading): a later mention, e.g. in
            # a session transcript, may say why.
    return ""
