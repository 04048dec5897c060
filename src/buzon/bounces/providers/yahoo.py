"""Yahoo (Yahoo Mail, AOL, Verizon Media): TSS/TS codes and their own sentences."""

from ._provider import Provider

PROVIDER = Provider(
    "yahoo",
    hosts=("yahoodns.net", "yahoo.com", "yahoo.co.jp", "aol.com", "yahoo.net"),
    # By remote host only: a recipient domain of theirs may be reached through a relay
    # whose wording means something else.
    codes=(
        (r"\[tss04\]|\[ts04\]|\[tsa\d\d\]", "rejected"),
        (r"\[ts0[123]\]|\[tss0[12]\]", "blocked"),
        (r"\[tss09\]|\[ts09\]", "badreputation"),
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
                "invalid recipient",
            ),
        ),
        ("mailboxfull", ("mailbox full", "over quota")),
        ("policyviolation", ("message not accepted for policy reasons",)),
        ("notaccept", ("malformed or unexpected name server reply",)),
        ("hostunknown", ("host or domain name not found",)),
        ("blocked", ("not accepted due to user complaints", "blocked")),
    ),
)
