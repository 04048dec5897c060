"""failedstarttls: The STARTTLS negotiation failed or TLS was required and unavailable."""

from ._rule import Rule

RULE = Rule(
    "failedstarttls",
    phrases=(
        "starttls",
        "tls handshake",
        "tls negotiation failed",
        "tls connection",
        "tls is required",
        "tls required but not supported",
        "must issue a starttls",
        "certificate verification failed",
        "certificate verify failed",
        "ssl handshake",
        "tls session",
        "tls error",
        "secure connection",
        "does not support tls",
    ),
)
