"""From raw facts to a reason: the public `classify` and the record-building step."""

from __future__ import annotations

from typing import NamedTuple

from . import address, providers, reasons, smtp
from . import blame as blames
from .formats._base import Fact, remote_host_in
from .providers import lda
from .record import BounceRecord


class Verdict(NamedTuple):
    """What `classify` makes of one failure: why, whether retrying is pointless, and
    who must act (`buzon_bounces.blame`)."""

    reason: str
    hard: bool
    blame: str


def classify(
    status: str | None,
    reply_code: int | str | None,
    diagnostic: str,
    remote_host: str | None = None,
    command: str | None = None,
) -> Verdict:
    """(reason, hard, blame) for one SMTP failure, e.g. a 550 our own client got at RCPT.

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
    return Verdict(record.reason, record.hard, record.blame)


def _summary_only(field: str, quoted: str) -> bool:
    """True when a Status field says less than the code the remote server quoted.

    The Status field is the reporting MTA's own summary; a code in the diagnostic is
    what the remote server said. The summary gives way when it is generic (x.0.0, or
    x.y.0 against a fully specific quote), when it only says that the message timed out
    in the queue (4.4.7) or that too many errors occurred (4.7.0), or when it names a
    protocol or mail-system fault (x.5.1 to x.5.5, 5.3.x) that the quote explains.
    """
    if field.endswith(".0.0"):
        return not quoted.endswith(".0.0")
    field_vague = field.split(".")[1] == "0" or field.endswith(".0")
    quoted_vague = quoted.split(".")[1] == "0" or quoted.endswith(".0")
    if field_vague:
        return not quoted_vague
    if quoted.endswith(".0.0"):
        return False
    if field in ("4.4.7", "4.7.0") or field.startswith("5.3."):
        return True
    if field[1:] in (".5.1", ".5.2", ".5.4", ".5.5"):
        return True
    if field == "5.1.1":
        return not quoted_vague and not quoted.startswith("5.5.")
    return field == "5.1.3" and quoted.startswith("5.7.")


def _status_for(fact: Fact, diagnostic: str, reply_code: str) -> str:
    """The enhanced status code for a record: the Status field, or the quoted one."""
    field = smtp.find_status(fact.status) if fact.status else ""
    quoted = smtp.find_status(diagnostic)
    if not field or not quoted or field == quoted:
        return field or quoted
    if field[0] != quoted[0] and reply_code[:1] in ("4", "5"):
        # The classes disagree: the one the reply code agrees with wins.
        if reply_code[0] == quoted[0]:
            return quoted
        if reply_code[0] == field[0]:
            return field
    if field[0] == quoted[0] and _summary_only(field, quoted):
        return quoted
    return field


def build(fact: Fact, original: dict[str, str]) -> BounceRecord:
    diagnostic = fact.diagnostic.strip()
    reply_code = fact.reply_code or smtp.find_reply_code(diagnostic)
    if reply_code and reply_code[0] not in "245":
        reply_code = ""
    status = _status_for(fact, diagnostic, reply_code)
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
            # reporting MTA decided, the quoted reply may be from an earlier attempt
            # (unless a reply of the status's class is quoted with it).
            reply_code = smtp.reply_code_before(diagnostic, status)
        else:
            # "550 4.2.2" in free text: the reply code's class wins; the detail is kept.
            status = reply_code[0] + status[1:]
    command = fact.command or smtp.find_command(diagnostic)
    remote = fact.remote_mta or remote_host_in(diagnostic)
    action = normal_action(fact.action)
    reason = fact.reason
    gone = False
    # The Status field's comment is the reporting MTA's reading: weigh it too.
    text = smtp.unwrap_reply(diagnostic, reply_code)
    if fact.status_comment:
        text = f"{text} ({fact.status_comment})"
    if reason not in ("feedback", "vacation", "delivered"):
        # What a local delivery agent or a known provider means by its words is final;
        # otherwise the format's reading is weighed with the codes and the text.
        succeeded = status.startswith("2") or action in ("delivered", "relayed", "expanded")
        known = "" if succeeded else lda.reason_for(diagnostic, command)
        if not succeeded and not known:
            known, gone = providers.reading_for(
                remote,
                address.domain_of(fact.recipient),
                diagnostic,
                fact.reporting_mta,
                status,
                command,
            )
        if known:
            reason = known
        else:
            reason = reasons.decide(
                status,
                reply_code,
                text,
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
    blame = blames.decide(reason, status, reply_code, command, text, gone=gone)
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
        hard=blame == blames.ADDRESS,
        original_message_id=original.get("message_id", ""),
        original_from=original.get("from", ""),
        original_subject=original.get("subject", ""),
        envelope_id=original.get("envelope_id", ""),
        feedback_type=fact.feedback_type,
        format=fact.format,
        blame=blame,
    )


# RFC 3464's Action values, and the non-standard words some MTAs put in that field.
ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
_ACTION_SYNONYMS = {
    "failure": "failed",
    "fail": "failed",
    "error": "failed",
    "bounced": "failed",
    "bounce": "failed",
    "rejected": "failed",
    "undeliverable": "failed",
    "delay": "delayed",
    "deferred": "delayed",
    "defer": "delayed",
    "warning": "delayed",
    "deliverable": "delivered",
    "delivery": "delivered",
    "deliver": "delivered",
    "relay": "relayed",
    "expand": "expanded",
}


def normal_action(value: str) -> str:
    """An Action value in our vocabulary, or "" when the word means nothing we know
    (the record's action is then derived from its codes)."""
    word = value.strip().lower().rstrip(".;,")
    if word in ACTIONS:
        return word
    return _ACTION_SYNONYMS.get(word, "")


def _action_for(reason: str, status: str, reply_code: str) -> str:
    if reason == "delivered":
        return "delivered"
    if reason in ("vacation", "feedback"):
        return ""
    if status.startswith("4") or reply_code.startswith("4"):
        return "delayed"
    return "failed"
