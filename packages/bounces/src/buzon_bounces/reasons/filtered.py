"""filtered: A filter at the recipient refused the message (recipient-side rules, not spam)."""

from ._rule import Rule

RULE = Rule(
    "filtered",
    phrases=(
        "because the recipient is only accepting mail from specific email addresses",
        "bounced address",
        "due to extended inactivity new mail is not currently being accepted",
        "has restricted sms e-mail",
        "is not accepting any mail",
        "message rejected due to user rules",
        "not found recipient account",
        "refused due to recipient preferences",
        "resolver.rst.notauthorized",
        "this account is protected by",
        "user reject",
        "recipient id refuse to receive mail",
        "you have been blocked by the recipient",
        "blocked by the recipient",
        "the recipient has blocked",
        "blocked by user",
        "recipient rejected by filter",
        "domain filter",
        "rejected by domain filter",
        "message filtered",
        "user refuses to receive this mail",
        "account is protected by",
    ),
)
