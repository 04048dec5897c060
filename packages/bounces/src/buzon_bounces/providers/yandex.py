"""Yandex Mail (yandex.ru, yandex.com, ya.ru, Yandex 360).

Sentences from Yandex's "Report on non-delivery to Yandex" help page. Yandex answers
"550 5.7.1" for most refusals, an unknown user included ("No such user!"), so its words
decide. "Policy rejection on the target address" is a recipient account blocked for
breaking the user agreement, which its owner can unblock: a suspended mailbox.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "yandex",
    hosts=("yandex.ru", "yandex.net", "yandex.com"),
    domains=("yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru"),
    rules=(
        (
            "userunknown",
            ("no such user", "no correct recipients", "bad recipient address syntax"),
        ),
        ("suspend", ("policy rejection on the target address",)),
        ("mailboxfull", ("mailbox size limit exceeded", "mailbox size exceeded")),
        ("virusdetected", ("message infected by virus",)),
        ("spamdetected", ("message rejected under suspicion of spam",)),
        ("badreputation", ("blocked by spam statistics",)),
    ),
)
