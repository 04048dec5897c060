"""syntaxerror: The SMTP dialogue had a syntax error."""

from ._rule import Rule

RULE = Rule(
    "syntaxerror",
    phrases=(
        "syntax error",
        "command unrecognized",
        "command not recognized",
        "unrecognized command",
        "bad sequence of commands",
        "command not implemented",
        "parameter not implemented",
        "line too long",
        "invalid command",
        "syntax error in parameters",
    ),
)
