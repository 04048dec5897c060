"""Tencent QQ Mail."""

from ._provider import Provider

PROVIDER = Provider(
    "tencent",
    hosts=("qq.com",),
    domains=("qq.com", "foxmail.com"),
    signs=("service.mail.qq.com",),
    rules=(
        ("toomanyconn", ("connection frequency limited", "frequency limited")),
        ("authfailure", ("dmarc check failed", "spf check failed", "dkim")),
        ("userunknown", ("mailbox not found", "mailbox unavailable")),
        ("suspend", ("is a deactivated mailbox", "mailbox has been frozen")),
        ("mailboxfull", ("mailbox is full", "over quota")),
        ("spamdetected", ("mail content denied", "spam")),
        ("blocked", ("ip frequency limited", "blocked ip", "ip is rejected")),
    ),
)
