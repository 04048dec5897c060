"""mesgtoobig: The message is larger than the receiving system accepts."""

from ._rule import Rule

RULE = Rule(
    "mesgtoobig",
    phrases=(
        "message too big",
        "message is too big",
        "message size exceeds",
        "size limit",
        "message file too big",
        "exceeded maximum inbound message size",
        "max message size exceeded",
        "message exceeds maximum size",
        "taille limite du message atteinte",
        "line limit exceeded",
        "message too large for this ",
        "message is too large",
        "exceeds size limit",
        "too large for",
        "mail size limit exceeded",
        "message size limit",
        "message length exceeds",
        "size exceeds",
        "exceeds the maximum size",
        "maximum message size",
    ),
)
