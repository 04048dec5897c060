"""toomanyconn: Too many connections from the sender."""

from ._rule import Rule

RULE = Rule(
    "toomanyconn",
    phrases=(
        "too many recipients",
        "too many connections",
        "too many sessions",
        "too many concurrent",
        "connection limit",
        "connection rate limit exceeded",
        "too many smtp sessions",
        "too many errors from your ip",
        "trop de connexions",
        "max connections",
        "maximum connection",
        "too many simultaneous connections",
        "all available ips are at maximum connection limit",
        "exceeds per-domain connection limit",
        "connection count limit",
        "connection rate exceeded",
        "we have already made numerous attempts to deliver this message",
    ),
)
