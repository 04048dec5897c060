"""spamdetected: The message was judged to be spam."""

from ._rule import Rule

RULE = Rule(
    "spamdetected",
    phrases=(
        "content rejected",
        "ube,",
        "ube ",
        "spam",
        "unsolicited",
        "bulk mail",
        "bulk email",
        "junk mail",
        "message filtered",
        "content filter rejection",
        "rejecting banned content",
        "rejecting mail content",
        "blocked by spamassassin",
        "scored as spam",
        "reject bulk.advertising",
        "appears to be unsolicited",
        "mail content denied",
        "may consider spam",
        "high probability of",
        "message looks like",
        "identified as",
        "classified as",
        "uribl",
        "surbl",
        "mass mailer",
        "spam-like",
        "blacklisted url",
        "suspicious url",
        "message refused by mailmarshal spamprofiler",
    ),
)
