"""GoDaddy (secureserver.net): the IB codes of its documented bounce messages.

GoDaddy ends each refusal with a short code ("... per it's SPF Record. IB508"); its help
pages list what each one means. Messages without a code are read by their wording.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "godaddy",
    hosts=("secureserver.net",),
    signs=("x.co/rlbounce", "godaddy.com/help"),
    codes=(
        # Sender problems.
        (r"\bib401\b", "securityerror"),  # authentication on an inbound server
        (r"\bib50[12]\b", "notcompliantrfc"),  # blank or IP-address From:
        (r"\bib506\b", "rejected"),  # the From: domain is invalid
        (r"\bib508\b", "authfailure"),  # SPF does not authorise the sending server
        (r"\bib108\b", "requireptr"),  # no reverse DNS for the sending IP
        # Content.
        (r"\bib212\b", "spamdetected"),
        (r"\bib705\b", "virusdetected"),
        # Rates and sessions.
        (r"\bib605\b|\bib007\b", "toomanyconn"),
        (r"\bib101\b|\bib504\b|\bib510\b|\bib607\b", "speeding"),
        # Block lists and reputation.
        (r"\bib103\b", "badreputation"),
        (r"\bib10[4-6]\b|\bib11[0-3]\b", "blocked"),
    ),
    rules=(
        ("blocked", ("rbl reject", "spamhaus.org/query/bl?ip=")),
        ("expired", ("has been in the queue too long", "delivery timeout")),
        ("mailboxfull", ("account storage limit",)),
        ("spamdetected", ("message rejected for spam or virus content",)),
        ("suspend", ("account disabled",)),
        ("systemerror", ("message is looping",)),  # forwarding addresses in a loop
        ("userunknown", ("recipient not found", "account does not exist")),
    ),
)
