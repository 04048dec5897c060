"""Apple (iCloud, me.com, mac.com)."""

from ._provider import Provider

PROVIDER = Provider(
    "apple",
    hosts=("mail.icloud.com", "icloud.com", "me.com", "mac.com"),
    domains=("icloud.com", "me.com", "mac.com"),
    signs=("support.apple.com",),
    rules=(
        ("hasmoved", ("recipient no longer on server",)),
        ("authfailure", ("dmarc policy", "spf", "dkim")),
        ("mailboxfull", ("user is over quota", "mailbox full", "over quota")),
        ("userunknown", ("user does not exist", "no such user", "user unknown")),
        ("notaccept", ("host/domain does not accept mail",)),
        ("blocked", ("blocked - see", "blocked by")),
    ),
)
