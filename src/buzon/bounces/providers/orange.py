"""Orange / La Poste / France Télécom (wanadoo, laposte.net): LPN/OFR codes."""

from ._provider import Provider

PROVIDER = Provider(
    "orange",
    hosts=("orange.fr", "wanadoo.fr", "laposte.net", "francetelecom.fr", "sfr.fr"),
    domains=("orange.fr", "wanadoo.fr", "laposte.net"),
    codes=(
        (r"(?:lpn|ofr)\d*_?41[68]\b|_41[68]\b", "userunknown"),
        (r"_426\b|\[426\]", "suspend"),
        (r"_425\b|\[425\]", "mailboxfull"),
        (r"_(?:506|510|51\d)\b|\[50[6]\]", "spamdetected"),
        (r"_505\b|\[505\]", "systemerror"),
        (r"_999\b|\[999\]|lpn001_108|_10[0-9]\b|_11\d\b", "blocked"),
        (r"_630\b|_6\d\d\b", "policyviolation"),
        (r"_(?:402|305)\b", "securityerror"),
    ),
    rules=(
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
