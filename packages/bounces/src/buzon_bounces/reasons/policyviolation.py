"""policyviolation: A local policy refused the message (not spam, not the sender's address)."""

from ._rule import Rule

RULE = Rule(
    "policyviolation",
    phrases=(
        "policy violation",
        "denied by policy",
        "local policy",
        "rejected for policy reasons",
        "not accepted for policy reasons",
        "email not accepted for policy reasons",
        "organization policy",
        "organizational settings",
        "security policies",
        "illegal attachment",
        "attachments are not allowed",
        "prohibited attachment",
        "closed mailing list",
        "members-only list",
        "not subscribed to this group",
        "message given low priority",
        "protocol violation",
        "header are not accepted",
        "header error",
        "this message was blocked because its content presents a potential",
        "we do not accept messages containing",
        "without solving a captcha",
        "policy reasons",
        "by policy",
        "due to policy",
    ),
)
