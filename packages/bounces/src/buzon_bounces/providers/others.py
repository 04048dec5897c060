"""Smaller providers whose refusals need a word of interpretation."""

from ._provider import Provider

# i.ua names each refusal by a number in a link, "https://mail.i.ua/err/2/".
IUA: Provider = Provider(
    "i.ua",
    hosts=("i.ua", "mail.i.ua", "email.ua"),
    domains=("i.ua",),
    signs=("mail.i.ua/err/",),
    codes=(
        (r"\.i\.ua/err/(?:1|6)/", "norelaying"),  # not a mail gate; use your provider's
        (r"\.i\.ua/err/2/", "userunknown"),
        (r"\.i\.ua/err/3/", "suspend"),  # not used for more than three months
        (r"\.i\.ua/err/4/", "mailboxfull"),
        (r"\.i\.ua/err/5/", "toomanyconn"),  # sending limit exceeded
        (r"\.i\.ua/err/(?:7|9)/", "blocked"),  # bad HELO; the sender's IP block-listed
        (r"\.i\.ua/err/8/", "rejected"),  # the sender address could not be checked
        (r"\.i\.ua/err/10/", "filtered"),  # not on the recipient's list of senders
    ),
    rules=(
        ("suspend", ("mailbox is frozen",)),
        ("userunknown", ("no such user",)),
        ("mailboxfull", ("mailbox is full",)),
    ),
)
