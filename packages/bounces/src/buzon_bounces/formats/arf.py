"""ARF complaint reports (RFC 5965), plus the older unofficial shapes of them."""

from __future__ import annotations

from .. import address, dsn
from ..mail import Mail
from ._base import Fact

NAME = "arf"


# Complaint loops that send their own shape of report: the complained-about message
# attached to a note whose subject names the sending IP. Microsoft's JMRP (from
# staff@hotmail.com) and Amazon SES's forwarding of them do this.
_COMPLAINT_SENDERS = ("staff@hotmail.com", "complaints@email-abuse.amazonses.com")


def detect(mail: Mail) -> bool:
    if mail.report_type == "feedback-report":
        return True
    if any(p.content_type == "message/feedback-report" for p in mail.parts):
        return True
    return (
        mail.subject_lower.startswith("complaint about message from ")
        and any(sender in mail.sender for sender in _COMPLAINT_SENDERS)
        and mail.original_part is not None
    )


def extract(mail: Mail) -> list[Fact]:
    report = ""
    for part in mail.parts:
        if part.content_type == "message/feedback-report":
            report = part.text()
            break
    fields: dict[str, list[str]] = {}
    for name, value in dsn._unfolded(report):
        if name and name != "?":
            fields.setdefault(name, []).append(value)
    # A complaint loop's own shape of report has no Feedback-Type: it is a complaint.
    default_type = "other" if report else "abuse"
    feedback_type = (fields.get("feedback-type", [""])[0] or default_type).strip().lower()
    recipients: list[str] = []
    for value in fields.get("original-rcpt-to", []) + fields.get("removal-recipient", []):
        found = address.clean(value)
        if found and found not in recipients:
            recipients.append(found)
    if not recipients:
        for name in ("x-hmxmroriginalrecipient", "to", "delivered-to", "x-original-to"):
            for found in address.find_all(mail.original_header(name)):
                if found not in recipients:
                    recipients.append(found)
            if recipients:
                break
    if not recipients:
        # The report names nobody: one complaint with no recipient (Sisimai reports a
        # made-up placeholder address instead; nobody has that address).
        recipients = [""]
    reporting = (fields.get("reporting-mta", [""])[0]).split(";")[-1].strip().lower()
    remote = (fields.get("source-ip", [""])[0]).strip()
    facts = []
    for recipient in recipients:
        facts.append(
            Fact(
                recipient=recipient,
                reason="feedback",
                feedback_type=feedback_type,
                reporting_mta=reporting,
                remote_mta=remote,
                format=NAME,
                diagnostic=" ".join(mail.body.split())[:500],
            )
        )
    return facts
