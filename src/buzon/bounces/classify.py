"""From raw facts to a reason: the public `classify` and the record-building step."""

from __future__ import annotations

from . import address, providers, reasons, smtp
from .formats._base import Fact, remote_host_in
from .record import BounceRecord


def classify(
    status: str | None,
    reply_code: int | str | None,
    diagnostic: str,
    remote_host: str | None = None,
    command: str | None = None,
) -> tuple[str, bool]:
    """(reason, hard) for one SMTP failure, e.g. a 550 our own client got at RCPT.

    `status` is the enhanced status code if the server gave one ("5.1.1"), `reply_code`
    the three-digit reply, `diagnostic` the server's text, `remote_host` its name (for
    provider-specific readings), `command` the SMTP command it answered.
    """
    fact = Fact(
        status=(status or "").strip(),
        reply_code=str(reply_code or "").strip(),
        diagnostic=diagnostic or "",
        remote_mta=(remote_host or "").strip(),
        command=(command or "").strip().upper(),
        diagnostic_type="SMTP",
    )
    record = build(fact, original={})
    return record.reason, record.hard


def _status_for(fact: Fact, diagnostic: str) -> str:
    status = smtp.find_status(fact.status) if fact.status else ""
    in_text = smtp.find_status(diagnostic)
    if not status:
        return in_text
    if (
        in_text
        and status.endswith(".0.0")
        and not in_text.endswith(".0.0")
        and in_text[0] == status[0]
    ):
        return in_text
    return status


def build(fact: Fact, original: dict[str, str]) -> BounceRecord:
    diagnostic = fact.diagnostic.strip()
    reply_code = fact.reply_code or smtp.find_reply_code(diagnostic)
    if reply_code and reply_code[0] not in "245":
        reply_code = ""
    status = _status_for(fact, diagnostic)
    if status and reply_code and status[0] != reply_code[0]:
        in_text = smtp.find_status(diagnostic)
        if in_text[:1] == reply_code[0]:
            status = in_text  # "Status: 4.5.0" but "550 5.5.0" in the text: the text agrees
    if (
        status
        and reply_code
        and status[0] != reply_code[0]
        and status[0] in "45"
        and reply_code[0] in "45"
    ):
        if fact.status:
            # The Status field and the quoted reply disagree: the field is what the
            # reporting MTA decided, the quoted reply may be from an earlier attempt.
            reply_code = ""
        else:
            # "550 4.2.2" in free text: the reply code's class wins; the detail is kept.
            status = reply_code[0] + status[1:]
    command = fact.command or smtp.find_command(diagnostic)
    remote = fact.remote_mta or remote_host_in(diagnostic)
    action = fact.action
    reason = fact.reason
    if reason not in ("feedback", "vacation", "delivered"):
        reason = (
            providers.reason_for(remote, address.domain_of(fact.recipient), diagnostic) or reason
        )
        reason = reasons.decide(
            status,
            reply_code,
            diagnostic,
            command=command,
            action=action,
            diagnostic_type=fact.diagnostic_type,
            preset=reason,
        )
    if not action:
        action = _action_for(reason, status, reply_code)
    if reason in ("feedback", "vacation"):
        status = ""
    elif not status:
        temporary = (
            reply_code.startswith("4")
            or status.startswith("4")
            or (not reply_code and not status and action == "delayed")
        )
        status = reasons.placeholder(reason, temporary)
    hard = reasons.is_hard(reason, status, reply_code)
    return BounceRecord(
        recipient=fact.recipient,
        action=action,
        status=status,
        reply_code=reply_code,
        diagnostic=diagnostic,
        diagnostic_type=fact.diagnostic_type,
        remote_mta=remote,
        reporting_mta=fact.reporting_mta,
        command=command,
        reason=reason,
        hard=hard,
        original_message_id=original.get("message_id", ""),
        original_from=original.get("from", ""),
        original_subject=original.get("subject", ""),
        envelope_id=original.get("envelope_id", ""),
        feedback_type=fact.feedback_type,
        format=fact.format,
    )


def _action_for(reason: str, status: str, reply_code: str) -> str:
    if reason == "delivered":
        return "delivered"
    if reason in ("vacation", "feedback"):
        return ""
    if status.startswith("4") or reply_code.startswith("4"):
        return "delayed"
    return "failed"
