"""Yahoo (Yahoo Mail, AOL, Verizon Media): TSS/TS codes and their own sentences.

Sentences from Yahoo's "SMTP error codes" page; learnt from Sisimai's YahooInc and Aol
rhost tables, written as our own.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "yahoo",
    hosts=("yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com", "yahoo.net"),
    # By remote host only: a recipient domain of theirs may be reached through a relay
    # whose wording means something else.
    # Yahoo's page: 5xx refusals are permanent, "you should not retry" and list managers
    # should remove the address; a mailbox "disabled" or "discontinued" there is closed.
    gone=("this mailbox is disabled", "disabled or discontinued", " is no longer valid."),
    codes=(
        # "[TSS04] Messages from <ip> temporarily deferred due to unexpected volume or user
        # complaints": Yahoo's page lists complaints, unusual traffic and a poor IP
        # reputation as its causes.
        (r"\[tss04\]|\[ts04\]", "badreputation"),
        (r"\[tsa\d\d\]", "rejected"),
        (r"\[ts0[123]\]|\[tss0[12]\]", "blocked"),
        (r"\[tss09\]|\[ts09\]", "badreputation"),
        (r"\[bl2[13]\]", "blocked"),  # Spamhaus lists
        (r"\[ph01\]", "policyviolation"),
    ),
    rules=(
        (
            "userunknown",
            (
                "doesn't have a yahoo.com account",
                "this user doesn't have a",
                "user unknown",
                "no such user",
                "mailbox unavailable",
                "mailbox not found",
                "invalid recipient",
            ),
        ),
        ("suspend", (" is no longer valid.", "this mailbox is disabled")),
        ("mailboxfull", ("mailbox full", "over quota")),
        ("authfailure", ("requires all senders to authenticate with either spf or dkim",)),
        ("policyviolation", ("not accepted for policy reasons",)),
        ("notcompliantrfc", ("headers are not rfc compliant",)),
        (
            "badreputation",
            (
                "deferred due to unexpected volume or user complaints",
                "will be permanently deferred",
                # "Your mail server is sending to a large number of invalid recipients".
                "excessive unknown recipients",
            ),
        ),
        ("rejected", ("due to unresolvable rfc.5321",)),
        ("speeding", ("user is receiving mail too quickly",)),
        ("toomanyconn", ("max message per connection reached",)),
        ("syntaxerror", ("syntax error in parameters or arguments",)),
        ("norelaying", ("relaying denied for ",)),
        ("notaccept", ("malformed or unexpected name server reply",)),
        ("hostunknown", ("host or domain name not found",)),
        (
            "blocked",
            (
                "because the ip is in spamhaus's list",
                "not accepted from ip addresses on spamhaus",
                "not accepted due to user complaints",
                "blocked",
            ),
        ),
    ),
)
