"""Format modules: one per family of bounce, each with a cheap `detect` and an `extract`.

`VENDORS` are tried in order; the first whose `detect` accepts the message and whose
`extract` finds recipients wins. Standard DSNs (`rfc3464`) come next, then the generic
text reader for bounces from MTAs no module knows.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    amazonses,
    apachejames,
    domino,
    dragonfly,
    exchange2003,
    exim,
    fml,
    generic,
    gmail,
    googlegroups,
    imail,
    interscan,
    japan,
    mailmarshal,
    notes,
    opensmtpd,
    postfixtranscript,
    qmail,
    rfc3464,
    transcript,
    verizon,
    zoho,
)

VENDORS: tuple[ModuleType, ...] = (
    amazonses,
    googlegroups,
    gmail,
    exim,
    qmail,
    exchange2003,
    domino,
    dragonfly,
    opensmtpd,
    notes,
    postfixtranscript,
    imail,
    japan,
    mailmarshal,
    verizon,  # before apachejames: Verizon's gateway also writes James-style notices
    apachejames,
    fml,
    zoho,
    interscan,
)
FALLBACKS: tuple[ModuleType, ...] = (rfc3464, transcript, generic)
