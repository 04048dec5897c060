"""Cox Communications: AUP codes at the end of each refusal ("AUP#CXBL").

Codes and sentences from Cox's postmaster and error-code pages; learnt from Sisimai's
Cox rhost table, written as our own.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "cox",
    hosts=("cox.net",),
    domains=("cox.net",),
    signs=("cox.com/residential/support", "cox.com/business/support"),
    codes=(
        (r"\bcxbl\b|\bcdrbl\b|\bcxblk\b|\bipbl\d+", "blocked"),  # spam-like IP; DNSBLs
        (r"\bcxdns\b", "requireptr"),
        (r"\bcxsndr\b|cxdmarc|cxspf", "authfailure"),  # SPF, DomainKeys, DKIM
        (r"\bcxsmtp\b", "rejected"),  # not a legitimate sender by SMTP's rules
        (r"\bcxcnct\b|\bcxmxrt\b", "toomanyconn"),  # connections; recipients per sender
        (r"\bcxthrt\b|\bcxmj\b", "securityerror"),  # a compromised-looking account
        (r"\burlbl\d+", "spamdetected"),  # a URL of the body on block lists
    ),
    rules=(
        ("blocked", ("too many bad commands from", "too many invalid recipients")),
        ("requireptr", ("dns check failure - try again later", "rejected - no rdns")),
        ("policyviolation", ("esmtp no data before greeting", "attachment extension is forbidden")),
        ("systemerror", ("esmtp server temporarily not available",)),
        (
            "toomanyconn",
            (
                "too many sessions from",
                "requested action aborted: try again later",
                "message threshold exceeded",
            ),
        ),
        ("userunknown", ("recipient rejected",)),
        ("rejected", ("sender rejected",)),
        ("speeding", ("too many",)),
    ),
)
