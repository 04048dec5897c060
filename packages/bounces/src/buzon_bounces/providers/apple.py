"""Apple (iCloud, me.com, mac.com).

Sentences from Apple's postmaster page and iCloud's replies; learnt from Sisimai's Apple
rhost table, written as our own. "inactive email address" is an account that exists but
no longer takes mail (suspend), not an unknown one.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "apple",
    hosts=("mail.icloud.com", "icloud.com", "me.com", "mac.com", "apple.com"),
    domains=("icloud.com", "me.com", "mac.com"),
    signs=("support.apple.com",),
    rules=(
        ("hasmoved", ("recipient no longer on server",)),
        ("suspend", ("inactive email address",)),
        ("speeding", ("due to excessive volume",)),
        ("rejected", ("sender address rejected",)),
        ("norelaying", ("relay access denied",)),
        ("policyviolation", ("due to local policy",)),
        (
            "authfailure",
            ("dmarc policy", "failing both spf and dkim", "spf", "dkim"),
        ),
        ("mailboxfull", ("user is over quota", "mailbox full", "over quota")),
        (
            "userunknown",
            ("user does not exist", "no such user", "user unknown", "unknown or illegal alias"),
        ),
        ("notaccept", ("host/domain does not accept mail",)),
        (
            "blocked",
            (
                "blocked - see",
                "blocked by",
                "present in the spamhaus",
                "rejected due to listing in spamhaus",
                "not accepting connections",
            ),
        ),
    ),
)
