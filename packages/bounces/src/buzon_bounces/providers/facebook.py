"""Facebook: every refusal carries one of its response codes ("RCP-P2", "POL-T1").

Facebook's postmaster page lists the codes by family: RCP (the recipient), POL (the
sending server or the message breaking a policy), MSG (the message itself), CON
(connections), DNS (the sender's DNS) and INT (internal). P codes are permanent, T codes
temporary. Learnt from Sisimai's Facebook rhost table; the table is our own.
"""

from ._provider import Provider


def _codes(*names: str) -> str:
    return r"\b(?:" + "|".join(n.lower() for n in names) + r")\b"


PROVIDER: Provider = Provider(
    "facebook",
    hosts=("facebook.com", "facebookmail.com"),
    domains=("facebook.com",),
    signs=("postmaster.facebook.com", "facebook.com/postmaster"),
    codes=(
        # The recipient: no such address, a deactivated one, or one whose owner's
        # preferences or privacy settings refuse the message.
        (_codes("RCP-P1", "INT-P1", "INT-P3", "INT-P4"), "userunknown"),
        (_codes("RCP-T4"), "suspend"),
        (_codes("RCP-P2", "RCP-P3"), "filtered"),
        (_codes("RCP-T1"), "systemerror"),
        # The sending server: block lists and temporary or lasting refusals.
        (_codes("POL-P1", "POL-P2", "POL-P3", "POL-P4", "POL-T1", "POL-T2", "POL-T3"), "blocked"),
        (_codes("POL-P5"), "virusdetected"),
        (_codes("POL-P6", "POL-P8"), "spamdetected"),  # a blocked URL; abuse policies
        (_codes("POL-P7"), "authfailure"),  # Facebook's domain authentication requirements
        # The message.
        (_codes("MSG-P1", "INT-P2"), "mesgtoobig"),
        (_codes("MSG-P2"), "contenterror"),  # an attachment type it does not take
        (_codes("MSG-P3"), "notcompliantrfc"),  # a header that may appear once, repeated
        # Connections and recipients per connection or message.
        (_codes("CON-T1", "CON-T2", "CON-T3", "CON-T4", "MSG-T1"), "toomanyconn"),
        # The sender's DNS: no such MAIL FROM domain, no MX, no reverse DNS.
        (_codes("DNS-P1", "DNS-P2", "DNS-T1"), "rejected"),
        (_codes("DNS-P3", "DNS-T2"), "requireptr"),
        # Codes the page does not give a meaning for: Facebook's own trouble.
        (r"\bint-t\d|\bmbx-", "systemerror"),
    ),
)
