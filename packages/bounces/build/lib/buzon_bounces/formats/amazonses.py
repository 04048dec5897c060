"""Amazon SES notifications delivered by e-mail (through SNS): a JSON document per event.

    {"notificationType": "Bounce",
     "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "...", "action": "failed",
                                       "status": "5.1.1", "diagnosticCode": "smtp; 550 ..."}],
                "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com", ...},
     "mail": {"messageId": "...", "source": "...", "commonHeaders": {...}, ...}}

`Complaint` notifications (`complaint.complainedRecipients`, `complaintFeedbackType`)
become feedback records and `Delivery` notifications (`delivery.recipients`,
`smtpResponse`) delivered ones. The document may arrive as it is or wrapped in an SNS
envelope (`{"Type": "Notification", "Message": "<the document as a string>"}`), and
sendmail may have broken its over-long line with "!" + newline + space.

SES's own bounce subtypes name the reason where the diagnostic may not: a full
mailbox, a message too large, rejected content or a rejected attachment.
"""

from __future__ import annotations

import json
from typing import Any

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, squash

NAME = "amazonses"

_SUBTYPE_REASON = {
    "mailboxfull": "mailboxfull",
    "messagetoolarge": "mesgtoobig",
    "contentrejected": "contenterror",
    "attachmentrejected": "securityerror",
}
_MAX_JSON = 200_000


def detect(mail: Mail) -> bool:
    head = mail.body.lstrip()[:2000]
    return head.startswith("{") and ("notificationType" in head or '"Type"' in head)


def _document(text: str) -> dict[str, Any] | None:
    text = text.replace("!\n ", "").lstrip()[:_MAX_JSON]
    try:
        document, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("Message"), str):
        try:
            document = json.loads(document["Message"][:_MAX_JSON])
        except ValueError:
            return None
    return document if isinstance(document, dict) else None


def _host(value: object) -> str:
    text = str(value or "")
    return text.split(";", 1)[-1].strip().lower()


def extract(mail: Mail) -> list[Fact]:
    document = _document(mail.body)
    if document is None:
        return []
    kind = str(document.get("notificationType") or document.get("eventType") or "").lower()
    if kind == "bounce":
        return _bounces(document.get("bounce"))
    if kind == "complaint":
        return _complaints(document.get("complaint"))
    if kind == "delivery":
        return _deliveries(document.get("delivery"))
    return []


def _records(value: object) -> list[Any]:
    return value[:500] if isinstance(value, list) else []


def _bounces(bounce: object) -> list[Fact]:
    if not isinstance(bounce, dict):
        return []
    subtype = str(bounce.get("bounceSubType") or "").lower()
    transient = str(bounce.get("bounceType") or "").lower() == "transient"
    reporting = _host(bounce.get("reportingMTA"))
    facts = []
    for entry in _records(bounce.get("bouncedRecipients")):
        if not isinstance(entry, dict):
            continue
        recipient = address.clean(str(entry.get("emailAddress") or ""))
        if not recipient:
            continue
        diagnostic = str(entry.get("diagnosticCode") or "")
        dtype, _, rest = diagnostic.partition(";")
        if rest and dtype.strip().isalpha() and len(dtype.strip()) < 12:
            diagnostic_type, diagnostic = dtype.strip().upper(), rest
        else:
            diagnostic_type = "SMTP" if diagnostic else ""
        action = str(entry.get("action") or "").lower() or ("delayed" if transient else "failed")
        facts.append(
            Fact(
                recipient=recipient,
                action=action,
                status=smtp.find_status(str(entry.get("status") or "")),
                diagnostic=squash(diagnostic),
                diagnostic_type=diagnostic_type,
                reporting_mta=reporting,
                reason=_SUBTYPE_REASON.get(subtype, ""),
                format=NAME,
            )
        )
    return facts


def _complaints(complaint: object) -> list[Fact]:
    if not isinstance(complaint, dict):
        return []
    feedback_type = str(complaint.get("complaintFeedbackType") or "abuse").lower()
    agent = str(complaint.get("userAgent") or "")
    facts = []
    for entry in _records(complaint.get("complainedRecipients")):
        recipient = (
            address.clean(str(entry.get("emailAddress") or "")) if isinstance(entry, dict) else ""
        )
        if recipient:
            facts.append(
                Fact(
                    recipient=recipient,
                    reason="feedback",
                    feedback_type=feedback_type,
                    diagnostic=agent,
                    format=NAME,
                )
            )
    return facts


def _deliveries(delivery: object) -> list[Fact]:
    if not isinstance(delivery, dict):
        return []
    response = squash(str(delivery.get("smtpResponse") or ""))
    reporting = _host(delivery.get("reportingMTA"))
    facts = []
    for entry in _records(delivery.get("recipients")):
        recipient = address.clean(str(entry or ""))
        if recipient:
            facts.append(
                Fact(
                    recipient=recipient,
                    action="delivered",
                    status=smtp.find_status(response),
                    reply_code=smtp.find_reply_code(response),
                    diagnostic=response,
                    diagnostic_type="SMTP",
                    reporting_mta=reporting,
                    reason="delivered",
                    format=NAME,
                )
            )
    return facts
