"""ARF complaint reports (RFC 5965), plus the older unofficial shapes of them."""

from __future__ import annotations

from .. import address, dsn
from ..mail import Mail
from ._base import Fact

NAME = "arf"


def detect(mail: Mail) -> bool:
    if mail.report_type == "feedback-report":
        return True
    return any(p.content_type == "message/feedback-report" for p in mail.parts)


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
    feedback_type = (fields.get("feedback-type", [""])[0] or "other").strip().lower()
    recipients: list[str] = []
    for value in fields.get("original-rcpt-to", []) + fields.get("removal-recipient", []):
        found = address.clean(value)
        if found and found not in recipients:
            recipients.append(found)
    if not recipients:
        for name in ("to", "delivered-to", "x-original-to"):
            for found in address.find_all(mail.original_header(name)):
                if found not in recipients:
                    recipients.append(found)
            if recipients:
                break
    if not recipients:
        # An undisclosed recipient: Sisimai and others report a fixed placeholder address.
        recipients = ["undisclosed-recipient-in-headers@libsisimai.org.invalid"]
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
