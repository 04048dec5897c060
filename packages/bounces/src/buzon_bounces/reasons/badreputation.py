"""badreputation: The sending IP address or domain has a poor reputation at the receiver."""

from ._rule import Rule

RULE = Rule(
    "badreputation",
    phrases=(
        "temporarily deferred due to unexpected volume or user complaints",
        "poor reputation",
        "bad reputation",
        "low reputation",
        "reputation of",
        "reputation problem",
        "ip/domain reputation",
        "sender reputation",
        "ip reputation",
        "domain reputation",
        "reputation score",
        "temporarily rate limited due to ip reputation",
        "our system has detected an unusual rate of unsolicited mail",
        "likely suspicious due to the very low reputation",
        "has been temporarily rate limited",
        # Too many unknown recipients from us (Yahoo's "Excessive unknown recipients -
        # possible Open Relay"): a judgement on our sending, not on one address.
        "excessive unknown recipients",
        "too many invalid recipients",
        "too many unknown recipients",
        "too many bad recipients",
    ),
)
