"""Japanese mobile carriers (NTT docomo, KDDI au): they word every refusal alike."""

from ._provider import Provider

# docomo answers "550 Unknown user" both for missing users and for its domain filter; a
# refusal after DATA is the filter, at RCPT it is the address.
DOCOMO = Provider("nttdocomo", hosts=("docomo.ne.jp",), domains=("docomo.ne.jp",))

PROVIDER = Provider(
    "kddi",
    hosts=("ezweb.ne.jp", "au.com", "kddi.com"),
    domains=("ezweb.ne.jp", "au.com"),
    # au answers "550 : User unknown", with no address, when its content filter refuses
    # a message after DATA; an unknown user is refused at RCPT with the address named.
    codes=((r"\b550 : user unknown", "filtered"),),
    rules=(
        ("userunknown", ("user unknown",)),
        ("filtered", ("filtered",)),
        ("mailboxfull", ("mailbox full", "as their mailbox is full")),
    ),
)
