"""Format modules: one per family of bounce, each with a cheap `detect` and an `extract`.

`VENDORS` are tried in order; the first whose `detect` accepts the message and whose
`extract` finds recipients wins. Standard DSNs (`rfc3464`) come next, then the generic
text reader for bounces from MTAs no module knows.
"""

from __future__ import annotations

from types import ModuleType

from . import exim, generic, googlegroups, rfc3464, transcript

VENDORS: tuple[ModuleType, ...] = (googlegroups, exim)
FALLBACKS: tuple[ModuleType, ...] = (rfc3464, transcript, generic)
