"""hasmoved: The mailbox has moved and mail is not forwarded."""

from ._rule import Rule

RULE = Rule(
    "hasmoved",
    phrases=(
        "address has moved",
        "has been moved",
        "mailbox has moved",
        "no longer with",
        "user has moved",
        "is no longer at",
        "moved to",
        "no forwarding address",
    ),
    patterns=(r"\b550 5\.1\.6\b",),
)
