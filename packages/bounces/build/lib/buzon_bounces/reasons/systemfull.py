"""systemfull: The receiving system's disk is full."""

from ._rule import Rule

RULE = Rule(
    "systemfull",
    phrases=(
        "insufficient disk space",
        "mail system full",
        "system full",
        "disk full",
        "file system full",
        "insufficient system storage",
        "requested mail action aborted: exceeded storage allocation",
        "no space left",
    ),
)
