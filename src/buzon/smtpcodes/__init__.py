"""What SMTP reply codes and enhanced status codes mean, in English and Spanish.

Pure Python (no Django): the reference behind "what does 552 5.2.2 mean, and what
should I do?", the explanation shown under a recipient whose delivery failed, and the
mapping to Zendesk's delivery-status vocabulary. The facts (codes, meanings, sources)
come from RFC 5321, RFC 3463 and the IANA "SMTP Enhanced Status Codes" registry, plus
a few provider-specific codes; every explanation is written for a support agent.
See docs/smtpcodes.md.

    >>> explain(550, "5.1.1").anchors
    ('550', '5.1.1')
    >>> zendesk_status(552, "5.2.2").api_name
    'mailbox_full'
"""

from buzon.smtpcodes.explaining import explain
from buzon.smtpcodes.model import CodeInfo, Explanation, Lang, ZendeskStatus
from buzon.smtpcodes.reference import enhanced_codes, lookup, reply_codes, search_codes
from buzon.smtpcodes.zendesk import zendesk_status, zendesk_status_by_id, zendesk_statuses

__all__ = [
    "CodeInfo",
    "Explanation",
    "Lang",
    "ZendeskStatus",
    "enhanced_codes",
    "explain",
    "lookup",
    "reply_codes",
    "search_codes",
    "zendesk_status",
    "zendesk_status_by_id",
    "zendesk_statuses",
]
