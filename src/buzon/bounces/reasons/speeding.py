"""speeding: The sender is sending too fast (rate limits)."""

from ._rule import Rule

RULE = Rule(
    "speeding",
    phrases=(
        "rate limit",
        "rate-limit",
        "ratelimit",
        "too many messages",
        "too many emails",
        "sending too fast",
        "sending rate",
        "too fast",
        "exceeded the max emails per hour",
        "temporarily deferred",
        "throttl",
        "exceeded the rate",
        "rate exceeded",
        "rate of",
        "send quota",
        "sent to too many recipients",
        "too many mails",
        "receiving mail at a rate",
        "please try again slower",
        "temporarily rate limited",
    ),
)
