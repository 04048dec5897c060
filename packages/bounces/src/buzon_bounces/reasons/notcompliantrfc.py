"""notcompliantrfc: The message does not comply with the RFCs (duplicate headers, bad syntax)."""

from ._rule import Rule

RULE = Rule(
    "notcompliantrfc",
    phrases=(
        "not rfc 5322 compliant",
        "not rfc5322 compliant",
        "not rfc 822 compliant",
        "rfc 5322",
        "rfc5322",
        "rfc 2822",
        "multiple addresses in from",
        "messages with multiple addresses",
        "multiple subject headers",
        "multiple from headers",
        "there are multiple",
        "duplicate header",
        "is not compliant",
        "non-compliant",
        "not compliant with",
        "malformed header",
        "missing required header",
        "header syntax",
        "bare lf",
        "bare linefeed",
        "?p=rfcmessagenoncompliant",
    ),
    patterns=(
        # "contains multiple Date headers", "multiple From header fields".
        r"m(?<!\wm)ultiple [\w-]+ header",
    ),
)
