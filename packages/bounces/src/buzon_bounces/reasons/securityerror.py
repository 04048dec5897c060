"""securityerror: A security requirement was not met (authentication, encryption, signatures)."""

from ._rule import Rule

RULE = Rule(
    "securityerror",
    phrases=(
        "authentication required",
        "authentication failed",
        "authentication failure",
        "authentication credentials invalid",
        "must be authenticated",
        "requires authentication",
        "authentication is required",
        "auth required",
        "tls required",
        "encryption required",
        "encryption needed",
        "account not subscribed to ses",
        "unauthenticated senders not allowed",
        "verification failure",
        "executable files are not allowed",
        "is not authorized to perform ses:sendrawemail",
        "is a dead domain",
        "insecure mail relay",
        "you are not authorized to send mail",
        "authentification requise",
        "authentication turned on",
        "sorry, you don't authenticate",
    ),
)
