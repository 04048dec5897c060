"""Zoho Mail.

Zoho's refusals are fixed sentences. "Mail rejected by destination domain" (541 5.4.1)
and "Mailbox delivery restricted by policy error" are the receiving organisation's own
filters refusing the sender; "Temporary System Error" (452 4.3.1) is Zoho's side. Learnt
from Sisimai's Zoho rhost table and the codes Zoho's pages list; the table is our own.

Left as the text reads: "Email cannot be delivered. Reason: Email flagged as Spam" is a
spam verdict; Sisimai's table calls it a sender rejection, which we found no Zoho
documentation for.
"""

from ._provider import Provider

PROVIDER: Provider = Provider(
    "zoho",
    hosts=("zoho.com", "zohomail.com", "zoho.eu", "zoho.in", "zohomail.eu", "zohomail.in"),
    domains=("zoho.com", "zohomail.com", "zoho.eu", "zoho.in", "zohomail.eu", "zohomail.in"),
    signs=("zoho mail", "zoho.com/mail"),
    codes=((r"\bvirus\b.{0,120} detected by zoho mail", "virusdetected"),),
    rules=(
        ("authfailure", ("email rejected per dmarc policy",)),
        ("blocked", ("greylisted, try again after some time",)),
        ("spamdetected", ("email flagged as spam",)),
        ("rejected", ("mail rejected by destination domain",)),
        (
            "policyviolation",
            ("email policy violation detected", "mailbox delivery restricted by policy error"),
        ),
        ("systemerror", ("temporary system error",)),
        ("userunknown", ("user does not exist", "mailbox delivery failure policy error")),
    ),
)
