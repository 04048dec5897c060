"""vacation: An auto-reply: the recipient is away."""

from ._rule import Rule

RULE = Rule(
    "vacation",
    phrases=(
        "i am away",
        "i am out of the office",
        "i will be traveling",
        "out of office",
        "on vacation",
        "automatic reply",
        "auto-reply",
        "autoreply",
    ),
)
