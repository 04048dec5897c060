"""What SMTP reply codes and enhanced status codes mean, in English and Spanish.

Pure Python (no Django): the reference behind "what does 552 5.2.2 mean, and what
should I do?" and the explanation shown under a recipient whose delivery failed.
The facts (codes, meanings, sources) come from RFC 5321, RFC 3463 and the IANA
"SMTP Enhanced Status Codes" registry, plus a few provider-specific codes; every
explanation is written for a support agent.

    >>> explain(550, "5.1.1").anchors
    ('550', '5.1.1')
"""

from buzon.smtpcodes.explaining import explain
from buzon.smtpcodes.model import CodeInfo, Explanation, Lang, ZendeskStatus
from buzon.smtpcodes.reference import enhanced_codes, lookup, reply_codes, search_codes

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
]
