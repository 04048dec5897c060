"""Suggest a correction for an email address whose domain looks mistyped.

`suggest_address("pedro@gmial.com") == "pedro@gmail.com"`. Pure: no Django, no
network. It compares the domain with a list of common mailbox providers using the
optimal-string-alignment edit distance (a swap of two neighbouring letters counts
as one edit, so "gmial" is one edit from "gmail"), and fixes common misspellings of
top-level domains (".con" → ".com"). A domain that is itself a known provider is
never "corrected", and short provider names only match at distance one, so that
real small domains are not flagged.

`domains.recipients` adds it to the check of an address an agent types, and the
workspace shows it under a failed delivery, on the profile and in the composer; it
has no state, so any other part may use it too.
"""

from __future__ import annotations

# Common mailbox providers, worldwide and in the Spanish-speaking world.
PROVIDER_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.es", "yahoo.com.mx",
        "yahoo.com.ar", "yahoo.co.uk", "yahoo.fr", "ymail.com", "rocketmail.com",
        "hotmail.com", "hotmail.es", "hotmail.co.uk", "hotmail.fr", "hotmail.it",
        "outlook.com", "outlook.es", "live.com", "live.com.mx", "msn.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com",
        "gmx.com", "gmx.de", "gmx.net", "gmx.es", "web.de", "mail.com", "email.com",
        "zoho.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "orange.fr",
        "free.fr", "laposte.net", "libero.it", "telefonica.net", "movistar.es",
        "terra.com.br", "uol.com.br", "bol.com.br", "fastmail.com", "hey.com",
    }
)  # fmt: skip

# Misspelt top-level domains and what they almost certainly meant.
TLD_TYPOS: dict[str, str] = {
    "con": "com", "cmo": "com", "ocm": "com", "vom": "com", "xom": "com", "comm": "com",
    "coom": "com", "cpm": "com", "nte": "net", "ent": "net", "nett": "net", "ogr": "org",
    "orgg": "org",
}  # fmt: skip


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance; stops early and returns `limit` when above it."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def suggest_domain(domain: str) -> str | None:
    """The provider domain this one is probably a typo of, or None."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or domain in PROVIDER_DOMAINS or "." not in domain:
        return None
    name, _, tld = domain.rpartition(".")
    if tld in TLD_TYPOS:
        fixed = f"{name}.{TLD_TYPOS[tld]}"
        return suggest_domain(fixed) or fixed
    best: tuple[int, str] | None = None
    ambiguous = False
    for provider in PROVIDER_DOMAINS:
        label = provider.split(".", 1)[0]
        allowed = 2 if len(label) >= 6 else 1 if len(label) >= 4 else 0
        if allowed == 0:
            continue
        distance = edit_distance(domain, provider, limit=allowed + 1)
        if distance > allowed:
            continue
        if best is None or distance < best[0]:
            best, ambiguous = (distance, provider), False
        elif distance == best[0]:
            ambiguous = True
    if best is None or ambiguous:
        return None
    return best[1]


def suggest_address(address: str) -> str | None:
    """The address with its domain corrected, or None when it looks fine."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return None
    fixed = suggest_domain(domain)
    return f"{local}@{fixed}" if fixed else None
