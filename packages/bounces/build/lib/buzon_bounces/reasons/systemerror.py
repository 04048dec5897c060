"""systemerror: The receiving system had an error of its own."""

from ._rule import Rule

RULE = Rule(
    "systemerror",
    phrases=(
        "system error",
        "local error in processing",
        "local configuration error",
        "internal error",
        "server error",
        "temporary local problem",
        "mail system configuration error",
        "server configuration error",
        "system config error",
        "remote server is misconfigured",
        "queue file write error",
        "interrupted system call",
        "can't create user output file",
        "aliasing/forwarding loop",
        "loops back to myself",
        "loop was found in the mail exchanger",
        "could not load drd",
        "internal server error",
        "service currently unavailable",
        "timeout waiting for input",
        "transaction failed",
        "it encountered an error while being processed",
        "duplicated message-id",
        "loop detected",
        "internal error reading data",
        "it would create a mail loop",
        "there is no mdb",
    ),
    patterns=(
        # "unable to connect to the <X> daemon": a local service the MTA relies on.
        r"unable to connect [^\n]{0,60}daemon",
    ),
)
