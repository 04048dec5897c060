"""exceedlimit: The message exceeds a per-mailbox administrative limit."""

from ._rule import Rule

RULE = Rule(
    "exceedlimit",
    phrases=(
        "message header size exceeds limit",
        "message too large",
        "recipsizelimit",
        "message length exceeds administrative limit",
        "exceeds the maximum message size allowed for this recipient",
    ),
)
