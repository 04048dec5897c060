"""The result type of `parse`: one record per recipient the bounce reports on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class BounceRecord:
    """What one bounce (or auto-reply, or complaint) says about one recipient.

    Empty strings mean "the message did not say". `status` always carries a class
    (2, 4 or 5): where the message gave no enhanced status code, it is a placeholder
    of the form `5.0.9xx` / `4.0.9xx` naming the reason, as Sisimai does.
    """

    recipient: str
    action: str  # failed / delayed / delivered / relayed / expanded
    status: str  # enhanced status code, e.g. "5.1.1"
    reply_code: str  # SMTP reply code, e.g. "550"
    diagnostic: str
    diagnostic_type: str  # "SMTP", "X-Postfix", "X-UNIX", ...
    remote_mta: str
    reporting_mta: str
    command: str  # SMTP command at which delivery failed: CONN, EHLO, MAIL, RCPT, DATA
    reason: str  # one of buzon_bounces.reasons.REASONS
    hard: bool
    original_message_id: str
    original_from: str
    original_subject: str
    envelope_id: str
    feedback_type: str  # ARF feedback type, e.g. "abuse"
    format: str  # which format module recognised the message
    blame: str = ""  # who must act: one of buzon_bounces.blame.BLAMES ("" if no failure)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
