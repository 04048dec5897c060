"""Mail.ru Group (mail.ru, bk.ru, list.ru, inbox.ru).

Mail.ru refuses a recipient after DATA, naming it: "Message was not accepted -- invalid
mailbox. Local mailbox a@mail.ru is unavailable: <why>". The why decides: "user not
found" is no such user, "account is disabled" a blocked account (restorable), "user is
terminated" an account closed for good; "Mailbox is frozen" is an unused mailbox its
owner can unfreeze.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "mailru",
    hosts=("mail.ru",),
    domains=("mail.ru", "bk.ru", "list.ru", "inbox.ru", "internet.ru"),
    signs=("help.mail.ru/notspam-support",),
    gone=("is unavailable: user is terminated",),
    rules=(
        ("userunknown", ("is unavailable: user not found",)),
        (
            "suspend",
            (
                "is unavailable: account is disabled",
                "is unavailable: user is terminated",
                "mailbox is frozen",
            ),
        ),
        ("spamdetected", ("spam message rejected",)),
        ("authfailure", ("due to domain owner dmarc policy",)),
    ),
)
