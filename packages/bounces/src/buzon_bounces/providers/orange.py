"""Orange / La Poste / France Télécom (wanadoo, laposte.net): LPN/OFR/OUK codes.

Each refusal ends with a label and a number ("OFR_416 [416]", "LPN007_420", "LPN416");
the last three digits say the cause. Codes from Orange's and La Poste's postmaster
lists; learnt from Sisimai's FrancePTT rhost table, written as our own.
"""

from ._provider import Provider

# (three-digit codes, reason)
_CODES: tuple[tuple[str, str], ...] = (
    ("101|102|103|510|999", "blocked"),  # block lists, "service refusé"
    ("104", "toomanyconn"),
    ("305|402", "securityerror"),  # authentication required or invalid
    ("401|517", "authfailure"),  # SPF; DMARC
    ("403|405|415|421", "rejected"),  # invalid sender, MAIL FROM not the user's
    ("416|418", "userunknown"),
    ("417|425", "mailboxfull"),
    ("420|426", "suspend"),  # archived or blocked recipient account
    ("505", "systemerror"),
    ("506", "spamdetected"),
    ("514", "mesgtoobig"),
    ("630", "policyviolation"),
)


def _labelled(numbers: str) -> str:
    return rf"(?:(?:lpn|ofr|ouk)[a-z0-9]*?[_-]?|\[)(?:{numbers})\b"


PROVIDER: Provider = Provider(
    "orange",
    hosts=("orange.fr", "wanadoo.fr", "laposte.net", "francetelecom.fr", "sfr.fr"),
    domains=("orange.fr", "wanadoo.fr", "laposte.net"),
    codes=(
        *((_labelled(numbers), reason) for numbers, reason in _CODES),
        (r"lpn001_108|_10[0-9]\b|_11\d\b", "blocked"),
        (r"_51\d\b", "spamdetected"),
        (r"_6\d\d\b", "policyviolation"),
    ),
    rules=(
        ("authfailure", ("spf/dns de votre nom de domaine",)),
        (
            "userunknown",
            ("adresse destinataire invalide", "invalid recipient", "utilisateur inconnu"),
        ),
        ("suspend", ("compte du destinataire est bloque", "recipient account is blocked")),
        ("mailboxfull", ("boite du destinataire pleine", "mailbox full")),
        ("spamdetected", ("mail rejete", "spam")),
        ("blocked", ("service refuse", "service refused")),
    ),
)
