"""The value types the reference hands out, and the language switch they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Lang = Literal["en", "es"]
Kind = Literal["reply", "enhanced"]

LANGS: tuple[Lang, ...] = ("en", "es")


def normalize_lang(lang: object) -> Lang:
    """Map "es", "ES", "es-MX", "es_419" to "es"; anything else (or garbage) to "en".

    Callers pass whatever the agent's profile or the request says; the reference must
    never fail over a locale string, so the fallback is English rather than an error.
    """
    if isinstance(lang, str) and lang.strip().lower()[:2] == "es":
        return "es"
    return "en"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One entry of the reference, in one language.

    `code` is what the entry is filed under and what `lookup()` accepts back: "550",
    "5xx" (a reply class), "X.2.2" (an enhanced code for any class), "5.2.2" (the same
    entry read for a permanent failure), "5.7.606-649" (a provider's range).
    `permanent` is True for 5xx / 5.X.X, False for 4xx / 4.X.X, and None when the code
    is not a failure (2xx, 3xx) or the class is not fixed (X.2.2).
    """

    code: str
    kind: Kind
    title: str
    summary: str
    advice: tuple[str, ...]
    source: str
    permanent: bool | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """What an agent sees under a recipient whose delivery failed.

    `message` is one line of plain language; `advice` the steps to take, most useful
    first; `anchors` the codes to deep-link into the reference (each one is accepted by
    `lookup()`), basic reply code first. `reply` and `status` are the reference entries
    the explanation was built from; either may be a class-level fallback ("5xx",
    "5.0.0") when the exact code is unknown.
    """

    message: str
    advice: tuple[str, ...]
    anchors: tuple[str, ...]
    permanent: bool | None
    reply: CodeInfo | None = None
    status: CodeInfo | None = None


@dataclass(frozen=True, slots=True)
class ZendeskStatus:
    """A row of Zendesk's delivery-status table, plus our own wording of it.

    `id`, `name` and `code` are Zendesk's facts ("USER_DOES_NOT_EXIST", "550 5.1.1");
    the messages are ours, written for a support agent.
    """

    id: int
    name: str
    code: str
    message_en: str = field(repr=False)
    message_es: str = field(repr=False)

    @property
    def api_name(self) -> str:
        """The name as Zendesk's API returns it: lower-case (`user_does_not_exist`)."""
        return self.name.lower()

    def message(self, lang: str = "en") -> str:
        """Our plain-language explanation of this status, in English or Spanish."""
        return self.message_es if normalize_lang(lang) == "es" else self.message_en
