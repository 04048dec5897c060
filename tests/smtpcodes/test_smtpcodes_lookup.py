"""lookup() and search_codes(): what the reference page and its search box use."""

from __future__ import annotations

import pytest

from buzon.smtpcodes import lookup, search_codes


@pytest.mark.parametrize("text", ["5.1.1", "5.1.1 ", " 5.1.1", "#5.1.1", "#5.1.1 ", "<5.1.1>"])
def test_lookup_tolerates_what_surrounds_a_copied_code(text: str) -> None:
    info = lookup(text)
    assert info is not None
    assert info.code == "5.1.1"
    assert info.title == "Mailbox does not exist"


def test_lookup_reply_code() -> None:
    info = lookup("550")
    assert info.kind == "reply"
    assert info.permanent is True
    assert lookup("450").permanent is False
    assert lookup("250").permanent is None
    assert lookup("354").permanent is None


def test_lookup_reply_class() -> None:
    assert lookup("5xx").title == "Permanent failure"
    assert lookup("4XX").permanent is False


def test_enhanced_code_is_read_with_its_class() -> None:
    temporary, permanent, generic = lookup("4.2.2"), lookup("5.2.2"), lookup("X.2.2")
    assert temporary.title == permanent.title == generic.title == "Mailbox full"
    assert temporary.permanent is False and permanent.permanent is True
    assert generic.permanent is None
    assert "temporary" in temporary.summary and "retrying" in temporary.summary
    assert "permanent" in permanent.summary
    assert temporary.advice[0].startswith("Wait")
    assert not permanent.advice[0].startswith("Wait")
    assert lookup("x.2.2") == generic


def test_success_class_keeps_only_the_success_advice() -> None:
    assert lookup("2.1.5").advice == ("Nothing to do.",)
    assert lookup("2.1.5").permanent is None


def test_lookup_in_spanish() -> None:
    info = lookup("5.2.2", "es")
    assert info.title == "Buzón lleno"
    assert "permanente" in info.summary
    assert lookup("5.2.2", "es-MX") == info
    assert lookup("5.2.2", "fr").title == "Mailbox full"


def test_provider_code_wins_for_its_exact_class() -> None:
    microsoft = lookup("5.4.1")
    assert microsoft.source == "Microsoft 365"
    assert "Access denied" in microsoft.title or "access denied" in microsoft.title
    assert lookup("4.4.1").title == "No answer from host"
    assert lookup("X.4.1").source == "RFC 3463"


def test_provider_range() -> None:
    for code in ("5.7.606", "5.7.620", "5.7.649"):
        info = lookup(code)
        assert info.code == code
        assert info.source == "Microsoft 365"
        assert "banned" in info.title
    assert lookup("5.7.650") is None
    assert lookup("5.7.606-649").code == "5.7.606-649"


@pytest.mark.parametrize("code", ["5.7.509", "5.7.515", "5.7.708", "5.7.139", "5.7.57"])
def test_provider_codes(code: str) -> None:
    info = lookup(code)
    assert info is not None and info.permanent is True
    assert lookup(code, "es").title != info.title


def test_gmail_codes_are_explained_in_their_registry_entries() -> None:
    assert "Gmail" in lookup("5.7.26").summary
    assert "Gmail" in lookup("4.7.28").summary
    assert lookup("4.7.28").advice[0].startswith("Wait")


@pytest.mark.parametrize(
    "text", ["", "abc", "9.9.9", "5.999.999999", "5.9.9", "600", "55", "X.7.31"]
)
def test_unknown_or_malformed_codes_are_none(text: str) -> None:
    assert lookup(text) is None


def test_lookup_garbage_types() -> None:
    assert lookup(None) is None
    assert lookup(550) is None


@pytest.mark.parametrize("query", ["buzón lleno", "Buzon LLENO", "mailbox full", "MAILBOX FULL"])
def test_search_finds_mailbox_full(query: str) -> None:
    for lang in ("en", "es"):
        codes = [info.code for info in search_codes(query, lang)]
        assert "552" in codes
        assert "X.2.2" in codes


def test_search_by_code_puts_the_code_first() -> None:
    assert search_codes("5.2.2")[0].code == "5.2.2"
    assert search_codes("#552")[0].code == "552"
    assert [info.code for info in search_codes("5.2.2")].count("X.2.2") == 0


def test_search_title_matches_come_first() -> None:
    codes = [info.code for info in search_codes("spf")]
    assert codes[:2] == ["X.7.23", "X.7.24"]


def test_search_results_are_in_the_requested_language() -> None:
    assert search_codes("mailbox full", "es")[0].title.startswith("Almacenamiento")


def test_search_nothing() -> None:
    assert search_codes("") == []
    assert search_codes("   ") == []
    assert search_codes("zzzz-no-such-thing") == []
