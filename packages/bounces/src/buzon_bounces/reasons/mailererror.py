"""mailererror: A local delivery program (procmail, pipe) failed."""

from ._rule import Rule

RULE = Rule(
    "mailererror",
    phrases=(
        "mailer error",
        "procmail",
        "maildrop",
        "pipe to |",
        "command failed",
        "command died with status",
        "command output:",
        "x-unix;",
        "local delivery failed",
        "exit status",
        "unknown mailer error",
        "|| exit",
    ),
    patterns=(
        r"e(?<!\we)xit \d+",
        r"\|\s*/",
    ),
)
