"""expired: Delivery was retried until the message expired."""

from ._rule import Rule

RULE = Rule(
    "expired",
    phrases=(
        "did not accept our requests to connect",
        "will be retried",
        "delivery time expired",
        "message expired",
        "has been delayed",
        "giving up",
        "gave up",
        "too long in queue",
        "in the queue too long",
        "has not been delivered for",
        "could not be delivered for more than",
        "retry timeout",
        "retry time not reached",
        "queue period",
        "message timed out",
        "connection timed out",
        "unable to deliver message after multiple retries",
        "was not reachable within the allowed queue period",
        "delivery attempts will continue",
        "have been failing for a long time",
        "server did not respond",
        "could not find a gateway for",
        "failed to deliver to domain ",
        "it has not been collected after",
        "expired",
        "too long",
        "timeout",
        "deferred",
        "delayed",
    ),
)
