"""norelaying: The server refused to relay for the sender."""

from ._rule import Rule

RULE = Rule(
    "norelaying",
    phrases=(
        "relay access denied",
        "relaying denied",
        "relay denied",
        "relay not permitted",
        "relaying not allowed",
        "not permitted to relay",
        "unable to relay",
        "we do not relay",
        "we don't relay",
        "not allowed to relay",
        "is not permitted to relay through this server",
        "as a relay",
        "insecure mail relay",
        "not a gateway",
        "not an open relay",
        "this system is not configured to relay",
        "relaying mail to",
        "no relaying",
        "mail server requires authentication when attempting to send to a non-local",
        "we don't handle mail for",
        "that domain isn't in my list of allowed rcpthosts",
        "not local host",
        "relay prohibited",
        "relaying prohibited",
        "cannot relay",
        "relay not allowed",
        # Amazon SES refusing a sender identity it was not asked to send for.
        "email address is not verified. the following identities failed the check",
    ),
)
