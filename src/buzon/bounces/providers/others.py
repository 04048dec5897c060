"""Smaller providers whose refusals need a word of interpretation."""

from ._provider import Provider

IUA = Provider(
    "i.ua",
    hosts=("i.ua", "mail.i.ua"),
    domains=("i.ua",),
    rules=(
        ("suspend", ("mailbox is frozen",)),
        ("userunknown", ("no such user",)),
        ("mailboxfull", ("mailbox is full",)),
    ),
)
MIMECAST = Provider(
    "mimecast",
    hosts=("mimecast.com",),
    rules=(
        ("policyviolation", ("host network not allowed", "envelope rejected", "policy")),
        ("userunknown", ("invalid recipient", "recipient address rejected")),
        ("blocked", ("ip address is blocked", "rbl")),
    ),
)
MESSAGELABS = Provider(
    "messagelabs",
    hosts=("messagelabs.com",),
    rules=(
        ("securityerror", ("please turn on smtp authentication", "without authentication")),
        ("userunknown", ("no such user", "user unknown")),
    ),
)
FACEBOOK = Provider(
    "facebook",
    hosts=("facebook.com",),
    domains=("facebook.com",),
    codes=(
        (r"rcp-p1|rcp-p4|rcp-t4", "userunknown"),
        (r"rcp-p2", "suspend"),
        (r"rcp-p3|rcp-t1", "filtered"),
        (r"int-p|int-t|mbx-", "systemerror"),
        (r"pol-p[1-4]", "policyviolation"),
        (r"pol-p[5-8]|pol-t", "blocked"),
        (r"dns-p|dns-t", "rejected"),
    ),
)
