"""Symantec / Broadcom Email Security.cloud (MessageLabs).

Its knowledge base gives the sentences its servers answer with; several name who is on
which list ("your IP address has been blocked" is a block list, "your email address has
been blocked" is the recipient's own list of refused senders). Learnt from Sisimai's
MessageLabs rhost table; the table is our own.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "messagelabs",
    hosts=("messagelabs.com",),
    signs=("messagelabs.com", "symanteccloud.com"),
    rules=(
        ("authfailure", ("domain authentication fail",)),
        ("badreputation", ("connection rejected by policy",)),
        (
            "rejected",
            (
                "sender envelope domain not allowed for sender ip address",
                "your domain has been blocked",
                "your email address has been blocked",
                "your envelope sender is in my badmailfrom list",
                "your email address has been blacklisted",
                "your domain has been blacklisted",
            ),
        ),
        (
            "blocked",
            (
                "mail rejected because your ip is in the pbl",
                "your ip address has been",
            ),
        ),
        ("contenterror", ("stray linefeeds in message",)),
        ("failedstarttls", ("tls/sslv3 connection required",)),
        ("norelaying", (" as a relay, ",)),
        (
            "notcompliantrfc",
            ("550 requested action aborted [4]", "this message is not rfc 5322"),
        ),
        (
            "securityerror",
            ("please turn on smtp authentication", "without authentication"),
        ),
        ("spamdetected", ("message filtered", "filtered by outbound scanning")),
        ("toomanyconn", ("too many recipients received this hour", "too many messages")),
        (
            "userunknown",
            ("no such user", "invalid recipient", "mailbox is not allowed", "user unknown"),
        ),
    ),
)
