"""virusdetected: A virus scanner refused the message."""

from ._rule import Rule

RULE = Rule(
    "virusdetected",
    phrases=(
        "virus",
        "malware",
        "potentially executable attachment",
        "infected",
        "trojan",
        "worm detected",
        "this form of attachment has been used by recent viruses",
    ),
)
