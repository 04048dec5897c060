"""Japanese mobile carriers (NTT docomo, KDDI au): they word every refusal alike."""

from ._provider import Provider

# docomo answers "550 Unknown user" for a missing user. (Until March 2025 its reception
# filter, which refused senders a subscriber had blocked, answered the same after DATA;
# docomo has stopped filtering that way, and the words say an unknown user.)
DOCOMO: Provider = Provider(
    "nttdocomo",
    hosts=("docomo.ne.jp",),
    domains=("docomo.ne.jp",),
    rules=(
        ("userunknown", ("550 unknown user",)),
        ("mailboxfull", ("552 too much mail data",)),
        ("toomanyconn", ("552 too many recipients",)),
        ("syntaxerror", ("503 bad sequence of commands", "504 command parameter not implemented")),
    ),
)

PROVIDER: Provider = Provider(
    "kddi",
    hosts=("ezweb.ne.jp", "au.com", "kddi.com"),
    domains=("ezweb.ne.jp", "au.com"),
    # au answers "550 : User unknown" (or "550: : User unknown"), with no address, when
    # its content filter refuses a message after DATA; an unknown user is refused at
    # RCPT with the address named ("550 <a@b>: User unknown").
    codes=((r"\b550:? ?: user unknown", "filtered"),),
    rules=(
        ("userunknown", ("user unknown",)),
        ("filtered", ("filtered",)),
        ("mailboxfull", ("mailbox full", "as their mailbox is full")),
    ),
)
