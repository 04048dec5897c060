"""contenterror: The content (headers, MIME structure, encoding) was refused."""

from ._rule import Rule

RULE = Rule(
    "contenterror",
    phrases=(
        "header size exceeds maximum permitted",
        "improper use of 8-bit data in message header",
        "message header size, or recipient list, exceeds policy limit",
        "message mime complexity exceeds",
        "routing loop detected -- too many received: headers",
        "invalid mime headers",
        "improperly-formatted binary",
        "unnecessary base64 encoding",
        "mime error",
        "malformed mime",
        "illegal characters in header",
        "invalid header",
        "header line too long",
    ),
)
