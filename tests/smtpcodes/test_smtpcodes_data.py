"""The reference tables: complete, bilingual, and faithful to the RFCs and IANA."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from buzon.smtpcodes import CodeInfo, enhanced_codes, lookup, reply_codes
from buzon.smtpcodes.loading import class_rows, enhanced_rows, provider_rows, reply_rows

RFC_5321_REPLY_CODES = {
    "211", "214", "220", "221", "250", "251", "252", "354", "421", "450", "451", "452",
    "455", "500", "501", "502", "503", "504", "550", "551", "552", "553", "554", "555",
}  # fmt: skip
RFC_7504_REPLY_CODES = {"521", "556"}
RFC_4954_REPLY_CODES = {"235", "334", "432", "454", "530", "534", "535", "538"}

# The IANA registry, subject by subject: highest registered detail number.
IANA_LAST_DETAIL = {0: 0, 1: 10, 2: 4, 3: 6, 4: 7, 5: 6, 6: 10, 7: 30}
IANA_CODES = {
    f"X.{subject}.{detail}"
    for subject, last in IANA_LAST_DETAIL.items()
    for detail in range(last + 1)
}

# Words that give English away inside a Spanish sentence.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|you|please|mailbox|check|with|this|that|address|server|message|"
    r"send|sender|recipient|domain|email|again|not|was|were|has|have|ask|contact)\b",
    re.IGNORECASE,
)
SPANISH_MARKS = re.compile(r"[áéíóúñ¿¡]", re.IGNORECASE)


def all_entries(lang: str) -> list[CodeInfo]:
    return reply_codes(lang) + enhanced_codes(lang)


def test_every_rfc_5321_reply_code_is_explained_in_both_languages() -> None:
    for code in RFC_5321_REPLY_CODES | RFC_7504_REPLY_CODES | RFC_4954_REPLY_CODES:
        english, spanish = lookup(code, "en"), lookup(code, "es")
        assert english is not None and spanish is not None, code
        assert english.kind == spanish.kind == "reply"
        assert english.title and english.summary and english.advice
        assert spanish.title and spanish.summary and spanish.advice


def test_reply_code_sources() -> None:
    for code in RFC_5321_REPLY_CODES:
        assert lookup(code).source == "RFC 5321", code
    assert lookup("521").source == lookup("556").source == "RFC 7504"
    for code in ("510", "511", "541"):
        assert lookup(code).source == "Non-standard"
        assert "non-standard" in lookup(code).title


def test_reply_class_rows_exist_for_every_class() -> None:
    assert [info.code for info in reply_codes() if info.code.endswith("xx")] == [
        "2xx",
        "3xx",
        "4xx",
        "5xx",
    ]


def test_the_enhanced_table_is_exactly_the_iana_registry() -> None:
    assert {row.code for row in enhanced_rows()} == IANA_CODES
    assert len(IANA_CODES) == 81


@pytest.mark.parametrize(
    ("code", "source", "title_word"),
    [
        ("X.1.10", "RFC 7505", "null MX"),
        ("X.3.6", "RFC 6710", "priority"),
        ("X.5.6", "RFC 4954", "too long"),
        ("X.6.7", "RFC 6531", "Non-ASCII"),
        ("X.7.8", "RFC 4954", "credentials"),
        ("X.7.13", "RFC 5248", "disabled"),
        ("X.7.17", "RFC 7293", "owner"),
        ("X.7.23", "RFC 7372", "SPF"),
        ("X.7.25", "RFC 7372", "Reverse DNS"),
        ("X.7.26", "RFC 7372", "Multiple authentication"),
        ("X.7.27", "RFC 7505", "null MX"),
        ("X.7.28", "IANA registry", "flood"),
        ("X.7.29", "RFC 8617", "ARC"),
        ("X.7.30", "RFC 8689", "REQUIRETLS"),
    ],
)
def test_registry_facts(code: str, source: str, title_word: str) -> None:
    info = lookup(code)
    assert info is not None
    assert info.source == source
    assert title_word.lower() in info.title.lower()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("421", ["not taking mail", "closed the connection"]),
        ("450", ["busy"]),
        ("451", ["internal problem"]),
        ("452", ["storage"]),
        ("550", ["does not exist", "policy"]),
        ("551", ["no mailbox", "another address"]),
        ("552", ["storage limit"]),
        ("553", ["not acceptable"]),
        ("554", ["refused", "no mail service"]),
        ("556", ["does not receive email"]),
    ],
)
def test_rfc_5321_meanings(code: str, words: list[str]) -> None:
    info = lookup(code)
    for word in words:
        assert word in info.summary, (code, word)


def test_every_entry_has_text_in_both_languages() -> None:
    for english, spanish in zip(all_entries("en"), all_entries("es"), strict=True):
        assert english.code == spanish.code
        for info in (english, spanish):
            assert info.title.strip() and info.summary.strip() and info.source.strip()
            assert info.advice and all(step.strip() for step in info.advice), info.code
            assert all("|" not in step for step in info.advice), info.code


def test_spanish_is_not_english() -> None:
    for english, spanish in zip(all_entries("en"), all_entries("es"), strict=True):
        assert spanish.title != english.title, english.code
        assert spanish.summary != english.summary, english.code
        assert spanish.advice != english.advice, english.code
        for text in (spanish.title, spanish.summary, *spanish.advice):
            # Quoted server phrases ("relay access denied") are kept as servers send
            # them, and host names (sender.office.com) are not words.
            prose = re.sub(r'"[^"]*"|\S+\.[a-z]\S*', "", text)
            assert not ENGLISH_WORDS.search(prose), (english.code, text)


def test_english_has_no_spanish_left_in_it() -> None:
    for info in all_entries("en"):
        for text in (info.title, info.summary, *info.advice):
            assert not SPANISH_MARKS.search(text.replace("Buzón", "")), (info.code, text)


def test_class_rows_cover_success_temporary_and_permanent() -> None:
    assert [row.code for row in class_rows()] == ["2", "4", "5"]


def test_provider_rows_are_class_specific() -> None:
    for row in provider_rows():
        assert re.fullmatch(r"[45]\.\d+\.\d+(-\d+)?", row.code), row.code
        assert row.source in {"Microsoft 365", "Outlook.com"}


def test_listings_are_ordered_for_the_reference_page() -> None:
    replies = [info.code for info in reply_codes()]
    assert replies[:3] == ["2xx", "200", "211"]
    assert replies.index("4xx") < replies.index("421") < replies.index("5xx")
    assert replies[-1] == "556"
    enhanced = [info.code for info in enhanced_codes()]
    assert enhanced[0] == "X.0.0"
    assert enhanced.index("X.4.1") + 1 == enhanced.index("5.4.1")
    assert enhanced.index("X.7.30") < enhanced.index("5.7.57") < enhanced.index("5.7.708")
    assert enhanced[-1] == "5.7.708"
    assert all(info.permanent is None for info in enhanced_codes() if info.code[0] == "X")


def test_listings_follow_the_language() -> None:
    assert lookup("X.2.2", "es").title == "Buzón lleno"
    assert [i.title for i in enhanced_codes("es") if i.code == "X.2.2"] == ["Buzón lleno"]


def test_package_does_not_import_django() -> None:
    script = (
        "import sys, buzon.smtpcodes as s\n"
        "s.explain(550, '5.1.1'); s.zendesk_status(550); s.search_codes('full')\n"
        "print('django' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_data_files_are_tab_separated_one_row_per_code() -> None:
    package = Path(__file__).parents[2] / "src" / "buzon" / "smtpcodes"
    for path in package.glob("*.tsv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        widths = {line.count("\t") for line in lines}
        assert len(widths) == 1, path.name
    assert len(reply_rows()) == len({row.code for row in reply_rows()})
