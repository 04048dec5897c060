"""The code reference: look a code up, list the tables, search them.

Enhanced status codes are registered once per subject.detail ("X.2.2"); the class
digit only says how final the failure is. So "4.2.2" and "5.2.2" are the same entry
read with a different class: the class sentence and advice from status_classes.tsv
are added to the entry's own. A provider row ("5.4.1" from Microsoft 365) is filed
under one class and wins over the registry entry for exactly that code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from buzon.smtpcodes.loading import (
    Row,
    class_rows,
    enhanced_rows,
    provider_rows,
    reply_rows,
)
from buzon.smtpcodes.model import LANGS, CodeInfo, Lang, normalize_lang
from buzon.smtpcodes.parsing import (
    Status,
    clean_code,
    fold,
    is_provider_range,
    parse_reply_class,
    parse_reply_code,
    parse_status,
)

_PERMANENT_BY_CLASS: dict[int, bool | None] = {2: None, 3: None, 4: False, 5: True}


@dataclass(frozen=True, slots=True)
class Resolved:
    """A reference entry plus the bare sentence an explanation shows for it.

    `plain` is the entry's own summary, without the class sentence that `info.summary`
    carries for class-specific enhanced codes: under a failed recipient the class is
    already conveyed by `permanent` and by the first advice step.
    """

    info: CodeInfo
    plain: str


@dataclass(frozen=True, slots=True)
class _ProviderEntry:
    row: Row
    klass: int
    subject: int
    first: int
    last: int

    def covers(self, status: Status) -> bool:
        return (
            status.klass == self.klass
            and status.subject == self.subject
            and self.first <= status.detail <= self.last
        )


# --- indexes ------------------------------------------------------------------------


@cache
def _reply_index() -> dict[str, Row]:
    return {row.code.lower(): row for row in reply_rows()}


@cache
def _enhanced_index() -> dict[str, Row]:
    return {row.code.upper(): row for row in enhanced_rows()}


@cache
def _class_index() -> dict[int, Row]:
    return {int(row.code): row for row in class_rows()}


@cache
def _provider_entries() -> tuple[_ProviderEntry, ...]:
    entries = []
    for row in provider_rows():
        klass, subject, details = row.code.split(".")
        first, _, last = details.partition("-")
        entries.append(
            _ProviderEntry(row, int(klass), int(subject), int(first), int(last or first))
        )
    return tuple(entries)


# --- building entries -----------------------------------------------------------------


def _reply_info(row: Row, lang: Lang) -> CodeInfo:
    text = row.text[lang]
    return CodeInfo(
        code=row.code,
        kind="reply",
        title=text.title,
        summary=text.summary,
        advice=text.advice,
        source=row.source,
        permanent=_PERMANENT_BY_CLASS[int(row.code[0])],
    )


def _generic_info(row: Row, lang: Lang) -> CodeInfo:
    text = row.text[lang]
    return CodeInfo(row.code, "enhanced", text.title, text.summary, text.advice, row.source, None)


def _class_specific(row: Row, status: Status, lang: Lang) -> Resolved:
    """Read a registry entry ("X.2.2") for one class ("4.2.2").

    For class 4 the advice starts with "wait, it is retried"; for class 2 the entry's
    failure-oriented advice does not apply, so only the class advice is kept.
    """
    klass = status.klass if status.klass is not None else 5
    text = row.text[lang]
    meaning = _class_index()[klass].text[lang]
    if klass == 2:
        advice = meaning.advice
    elif klass == 4:
        advice = _unique(meaning.advice + text.advice)
    else:
        advice = text.advice
    info = CodeInfo(
        code=str(status),
        kind="enhanced",
        title=text.title,
        summary=f"{text.summary} {meaning.summary}",
        advice=advice,
        source=row.source,
        permanent=_PERMANENT_BY_CLASS[klass],
    )
    return Resolved(info, text.summary)


def _provider_info(entry: _ProviderEntry, code: str, lang: Lang) -> Resolved:
    text = entry.row.text[lang]
    info = CodeInfo(
        code=code,
        kind="enhanced",
        title=text.title,
        summary=text.summary,
        advice=text.advice,
        source=entry.row.source,
        permanent=_PERMANENT_BY_CLASS[entry.klass],
    )
    return Resolved(info, text.summary)


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --- resolving ------------------------------------------------------------------------


def resolve_reply(code: int, lang: Lang) -> Resolved | None:
    row = _reply_index().get(str(code))
    if row is None:
        return None
    info = _reply_info(row, lang)
    return Resolved(info, info.summary)


def resolve_reply_class(klass: int, lang: Lang) -> Resolved | None:
    row = _reply_index().get(f"{klass}xx")
    if row is None:
        return None
    info = _reply_info(row, lang)
    return Resolved(info, info.summary)


def resolve_status(status: Status, lang: Lang) -> Resolved | None:
    """A class-specific ("5.7.509") or generic ("X.7.1") enhanced code, or None."""
    if status.klass is not None:
        for entry in _provider_entries():
            if entry.covers(status):
                return _provider_info(entry, str(status), lang)
    row = _enhanced_index().get(status.generic)
    if row is None:
        return None
    if status.klass is None:
        info = _generic_info(row, lang)
        return Resolved(info, info.summary)
    return _class_specific(row, status, lang)


def _resolve_text(code: str, lang: Lang) -> Resolved | None:
    if (reply := parse_reply_code(code)) is not None:
        return resolve_reply(reply, lang)
    if (klass := parse_reply_class(code)) is not None:
        return resolve_reply_class(klass, lang)
    if (status := parse_status(code)) is not None:
        return resolve_status(status, lang)
    if is_provider_range(code):
        cleaned = clean_code(code)
        for entry in _provider_entries():
            if entry.row.code == cleaned:
                return _provider_info(entry, cleaned, lang)
    return None


# --- public API -----------------------------------------------------------------------


def lookup(code: object, lang: str = "en") -> CodeInfo | None:
    """Find one code of the reference: "550", "5xx", "5.1.1", "X.1.1", "5.7.606-649".

    Tolerates what surrounds a code when it is copied from a bounce ("#5.1.1 ",
    "<550>"). Returns None for anything unknown or malformed; never raises.
    """
    if not isinstance(code, str):
        return None
    resolved = _resolve_text(code, normalize_lang(lang))
    return resolved.info if resolved else None


def _reply_order(row: Row) -> tuple[int, int, int]:
    """Each class header ("5xx") right before the codes of its class."""
    if row.code.endswith("xx"):
        return (int(row.code[0]), 0, 0)
    return (int(row.code[0]), 1, int(row.code))


def reply_codes(lang: str = "en") -> list[CodeInfo]:
    """Every basic reply code, for the reference page: "2xx", "200", "211", ... "556"."""
    chosen = normalize_lang(lang)
    return [_reply_info(row, chosen) for row in sorted(reply_rows(), key=_reply_order)]


def _enhanced_order(info: CodeInfo) -> tuple[int, int, int]:
    klass, subject, detail = info.code.split(".")
    first = detail.partition("-")[0]
    return (int(subject), int(first), 0 if klass.upper() == "X" else int(klass))


def enhanced_codes(lang: str = "en") -> list[CodeInfo]:
    """Every enhanced code, registry entries ("X.2.2") and provider entries ("5.7.509").

    Ordered by subject and detail, a provider entry right after the registry entry
    with the same number (5.4.1 after X.4.1).
    """
    chosen = normalize_lang(lang)
    registry = [_generic_info(row, chosen) for row in enhanced_rows()]
    providers = [
        _provider_info(entry, entry.row.code, chosen).info for entry in _provider_entries()
    ]
    return sorted(registry + providers, key=_enhanced_order)


@cache
def _haystacks() -> tuple[tuple[str, str, str], ...]:
    """(kind, code, folded text in both languages) for every entry, in page order."""
    entries: list[tuple[str, str, str]] = []
    for kind, infos in (
        ("reply", [reply_codes(lang) for lang in LANGS]),
        ("enhanced", [enhanced_codes(lang) for lang in LANGS]),
    ):
        for same_code in zip(*infos, strict=True):
            text = " ".join(
                " ".join((info.code, info.title, info.summary, *info.advice, info.source))
                for info in same_code
            )
            titles = " ".join(info.title for info in same_code)
            entries.append((kind, same_code[0].code, fold(titles) + "\n" + fold(text)))
    return tuple(entries)


def search_codes(text: object, lang: str = "en") -> list[CodeInfo]:
    """Entries matching what an agent typed in the reference page's search box.

    A code ("552", "5.2.2", "#5.2.2") finds its entry first. Words match case- and
    accent-insensitively, in either language ("buzon lleno" and "mailbox full" both
    find X.2.2 and 552); every word must appear. Entries whose title matches come
    before those matching only in their explanation. Results are in the requested
    language; never raises.
    """
    if not isinstance(text, str):
        return []
    chosen = normalize_lang(lang)
    words = fold(text).split()
    if not words:
        return []
    results: list[CodeInfo] = []
    exact = _resolve_text(text, chosen)
    if exact is not None:
        results.append(exact.info)
    title_hits: list[CodeInfo] = []
    text_hits: list[CodeInfo] = []
    for kind, code, haystack in _haystacks():
        if not all(word in haystack for word in words):
            continue
        info = lookup(code, chosen)
        if info is None or any(found.code == code for found in results):
            continue
        if exact is not None and kind == "enhanced" and _same_entry(exact.info.code, code):
            continue
        titles = haystack.partition("\n")[0]
        (title_hits if all(word in titles for word in words) else text_hits).append(info)
    return results + title_hits + text_hits


def _same_entry(found: str, registry_code: str) -> bool:
    """Whether "5.2.2" (already listed) is a reading of "X.2.2"."""
    status = parse_status(found)
    return status is not None and status.generic == registry_code.upper()
