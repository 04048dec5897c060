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
        # The recipient's receiving rate (Gmail, Yahoo, Exchange Online's per-hour limit).
        "receiving email at a rate",
        "receiving mail too quickly",
        "receiving email too quickly",
        "message receive limit",
        "please try again slower",
        "temporarily rate limited",
    ),
)
