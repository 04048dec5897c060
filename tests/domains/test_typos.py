"""Typo suggestions for mistyped email domains."""

import pytest

from buzon.domains.typos import edit_distance, suggest_address, suggest_domain


@pytest.mark.parametrize(
    ("address", "suggestion"),
    [
        ("pedro@gmial.com", "pedro@gmail.com"),
        ("x@hotmial.com", "x@hotmail.com"),
        ("x@yaho.com", "x@yahoo.com"),
        ("x@outlok.com", "x@outlook.com"),
        ("x@gamil.com", "x@gmail.com"),
        ("x@gmail.con", "x@gmail.com"),
        ("x@gmial.con", "x@gmail.com"),
        ("x@hotmal.es", "x@hotmail.es"),
        ("x@example.con", "x@example.com"),
        ("X.Y@GMIAL.COM", "X.Y@gmail.com"),
    ],
)
def test_mistyped_domains_get_a_suggestion(address, suggestion):
    assert suggest_address(address) == suggestion


@pytest.mark.parametrize(
    "address",
    [
        "ana@gmail.com",
        "ana@mail.com",
        "ana@email.com",
        "ana@me.com",
        "ana@mo.com",
        "ana@example.com",
        "nadie@invalid.example",
        "agent@helpdesk.test",
        "not-an-address",
        "@gmial.com",
    ],
)
def test_good_or_unknown_domains_get_none(address):
    assert suggest_address(address) is None


def test_an_ambiguous_domain_gets_no_suggestion():
    # "gmx.es" is one edit from both gmx.de and gmx.net... and is itself a provider.
    assert suggest_domain("gmx.es") is None


def test_edit_distance_counts_a_swap_as_one_edit():
    assert edit_distance("gmial", "gmail") == 1
    assert edit_distance("yaho", "yahoo") == 1
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("abcdef", "a", limit=3) == 3
