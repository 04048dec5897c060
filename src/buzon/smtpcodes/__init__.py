"""What SMTP reply codes and enhanced status codes mean, in English and Spanish.

Pure Python (no Django). The facts (codes, meanings, sources) come from RFC 5321,
RFC 3463 and the IANA "SMTP Enhanced Status Codes" registry, plus a few
provider-specific codes; every explanation is written for a support agent.
"""

from buzon.smtpcodes.model import CodeInfo, Explanation, Lang, ZendeskStatus
from buzon.smtpcodes.reference import enhanced_codes, lookup, reply_codes, search_codes

__all__ = [
    "CodeInfo",
    "Explanation",
    "Lang",
    "ZendeskStatus",
    "enhanced_codes",
    "lookup",
    "reply_codes",
    "search_codes",
]
