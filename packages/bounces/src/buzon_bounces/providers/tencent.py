"""Tencent QQ Mail.

Sentences from QQ Mail's help pages on refused mail; learnt from Sisimai's Tencent
rhost table, written as our own. Left as the text reads: "suspected spam", which
Sisimai's table calls a sender rejection, stays a spam verdict.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "tencent",
    hosts=("qq.com",),
    domains=("qq.com", "foxmail.com"),
    signs=("service.mail.qq.com",),
    rules=(
        (
            "toomanyconn",
            (
                "ip frequency limited",
                "domain frequency limited",
                "sender frequency limited",
                "connection frequency limited",
                "frequency limited",
            ),
        ),
        (
            "speeding",
            (
                "frequency of receiving messages is limited",
                "mailbox unavailable or access denined",  # sic, as QQ words it
            ),
        ),
        ("authfailure", ("dmarc check failed", "spf check failed", "dkim")),
        ("userunknown", ("mailbox not found", "mailbox unavailable")),
        ("suspend", ("is a deactivated mailbox", "mailbox has been frozen")),
        ("mailboxfull", ("mailbox is full", "over quota")),
        ("mesgtoobig", ("message too large",)),
        ("syntaxerror", ("bad address syntax",)),
        ("rejected", ("mail is rejected by recipients",)),
        (
            "blocked",
            (
                "suspected bounce attacks",
                "suspected spam ip",
                "connection denied",
                "blocked ip",
                "ip is rejected",
            ),
        ),
        ("spamdetected", ("mail content denied", "spam is embedded in the email", "spam")),
    ),
)
