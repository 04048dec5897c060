"""What a format module hands back, and helpers most format modules share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import address, dsn, smtp
from ..mail import Mail


@dataclass(slots=True)
class Fact:
    """Raw facts about one recipient, as a format read them (before classification)."""

    recipient: str = ""
    action: str = ""
    status: str = ""
    reply_code: str = ""
    diagnostic: str = ""
    diagnostic_type: str = ""
    remote_mta: str = ""
    reporting_mta: str = ""
    command: str = ""
    reason: str = ""  # set by a format that knows the reason from its own wording
    feedback_type: str = ""
    format: str = ""
    # The reporting MTA's own words next to its Status field ("5.2.1 (mailbox disabled)").
    status_comment: str = ""


_SPACES_RE = re.compile(r"[ \t]+")
_HOST_AFTER = (
    r":?\s+\[?([a-z0-9][a-z0-9.\-]{1,200}\.[a-z]{2,24})\.?\]?"
    r"(?:\s*\[|\s*\(|:|\s+said|\s+refused|\s+responded)"
)
_HOST_IN_DIAG_RE = re.compile(r"(?i)(?:\bhost|\bby|\bfrom|\bserver|\bat|\bto)" + _HOST_AFTER)
# The same for ASCII text lower-cased, each word's boundary checked after its first
# letter (so that the engine can skip to the letters a match starts with).
_HOST_IN_LOWERED_RE = re.compile(
    r"(?:h(?<!\wh)ost|b(?<!\wb)y|f(?<!\wf)rom|s(?<!\ws)erver|a(?<!\wa)t|t(?<!\wt)o)" + _HOST_AFTER
)


_STATUS_COMMENT_RE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}\s*\(([^()]{1,200})\)")


def _has_other_space(text: str) -> bool:
    """Whether `text` holds white space that `str.split` splits at besides space, tab and
    newline (in ASCII): one substring test per character, each quicker than a regex's
    test of a character class at every character."""
    return (
        "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def squash(text: str) -> str:
    """Collapse runs of white space and join lines."""
    if text.isascii() and not _has_other_space(text):
        return " ".join(text.split())  # the same, where spaces, tabs and newlines are all
    return _SPACES_RE.sub(" ", text.replace("\n", " ")).strip()


def remote_host_in(text: str) -> str:
    head = text[:2000]
    if head.isascii():
        match = _HOST_IN_LOWERED_RE.search(head.lower())
    else:
        match = _HOST_IN_DIAG_RE.search(head)
    return match.group(1).lower().rstrip(".") if match else ""


def facts_from_dsn(mail: Mail, text: str | None = None) -> list[Fact]:
    """Per-recipient facts from delivery-status fields (in their part, or in `text`)."""
    texts = [text] if text is not None else mail.delivery_status_texts
    facts: list[Fact] = []
    for block in texts:
        per_message, recipients = dsn.parse(block)
        _, reporting = dsn.strip_type(per_message.get("reporting-mta", ""))
        for fields in recipients:
            recipient = address.clean(dsn.strip_type(fields.get("final-recipient", ""))[1])
            if not recipient:
                recipient = address.clean(dsn.strip_type(fields.get("x-actual-recipient", ""))[1])
            if not recipient:
                recipient = address.clean(dsn.strip_type(fields.get("original-recipient", ""))[1])
            if not recipient:
                continue
            dtype, diagnostic = dsn.strip_type(fields.get("diagnostic-code", ""))
            _, remote = dsn.strip_type(fields.get("remote-mta", ""))
            status_field = fields.get("status", "")
            status = smtp.find_status(status_field)
            comment = _STATUS_COMMENT_RE.search(status_field)
            facts.append(
                Fact(
                    recipient=recipient,
                    action=fields.get("action", "").strip().lower().split(" ")[0].rstrip(";"),
                    status=status,
                    diagnostic=squash(diagnostic),
                    diagnostic_type=dtype,
                    remote_mta=remote.strip("[] ").lower(),
                    reporting_mta=reporting.lower(),
                    status_comment=comment.group(1).strip() if comment else "",
                )
            )
    return _merge_duplicates(facts)


def _merge_duplicates(facts: list[Fact]) -> list[Fact]:
    """One fact per recipient: later repeats fill in what earlier ones lacked."""
    merged: dict[str, Fact] = {}
    for fact in facts:
        key = fact.recipient.lower()
        if key not in merged:
            merged[key] = fact
            continue
        kept = merged[key]
        for name in (
            "action",
            "status",
            "reply_code",
            "diagnostic",
            "diagnostic_type",
            "remote_mta",
            "reporting_mta",
            "command",
            "status_comment",
        ):
            if not getattr(kept, name) and getattr(fact, name):
                setattr(kept, name, getattr(fact, name))
    return list(merged.values())


def original_recipient(mail: Mail) -> str:
    """The returned message's recipient, for formats that do not name it themselves."""
    for name in ("x-original-to", "envelope-to", "x-envelope-to", "delivered-to", "to"):
        value = mail.original_header(name)
        if value:
            found = address.find_first(value)
            if found:
                return found
    return ""


_HEADERISH_RE = re.compile(
    r"(?i)^\s*(?:to|from|cc|bcc|reply-to|sender|return-path|delivered-to|x-[a-z\-]+|received|message-id)\s*:"
)


def split_by_recipient(
    text: str, recipient_re: re.Pattern[str], stop_re: re.Pattern[str] | None = None
) -> list[tuple[str, str]]:
    """Pair each recipient line's address with the text that follows it.

    `recipient_re` must have a group named `addr`. Text runs until the next recipient
    line, a `stop_re` line, or the end.
    """
    pairs: list[tuple[str, list[str]]] = []
    for line in text.split("\n", 3000)[:3000]:
        if len(pairs) > 500:
            break
        if stop_re is not None and stop_re.search(line):
            if pairs:
                break
            continue
        match = None if _HEADERISH_RE.match(line) else recipient_re.search(line[:2000])
        if match:
            found = address.clean(match.group("addr"))
            if found and pairs and line[:1] in " \t" and found.lower() == pairs[-1][0].lower():
                # A wrapped diagnostic that repeats the address ("    <a@b>: Recipient
                # address rejected: ...") continues the entry it belongs to.
                pairs[-1][1].append(line)
                continue
            if found:
                rest = line[match.end() :].strip()
                pairs.append((found, [rest] if rest else []))
                continue
        if pairs:
            pairs[-1][1].append(line)
    result: list[tuple[str, str]] = []
    for found, lines in pairs:
        result.append((found, squash("\n".join(lines))))
    return result
