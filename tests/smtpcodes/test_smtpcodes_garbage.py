"""Whatever a remote server or a person types, the reference never raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from buzon.smtpcodes import (
    CodeInfo,
    Explanation,
    ZendeskStatus,
    explain,
    lookup,
    search_codes,
    zendesk_status,
    zendesk_status_by_id,
)

code_like = st.from_regex(r"\A[#<\s]*[0-9xX]{0,3}(\.[0-9]{0,7}){0,3}[-\s>]*[0-9]{0,3}\Z")
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    code_like,
    st.binary(),
    st.lists(st.integers(), max_size=3),
)
langs = st.one_of(st.sampled_from(["en", "es", "es-MX", "EN", "", "pt"]), st.text(), st.none())


@given(st.one_of(st.text(), code_like), langs)
def test_lookup_never_raises(text: str, lang: str) -> None:
    result = lookup(text, lang)
    assert result is None or isinstance(result, CodeInfo)


@given(anything, anything, langs)
def test_explain_never_raises(reply_code: object, status: object, lang: str) -> None:
    explanation = explain(reply_code, status, lang)  # type: ignore[arg-type]  # garbage on purpose
    assert isinstance(explanation, Explanation)
    assert explanation.message and explanation.advice
    for anchor in explanation.anchors:
        assert lookup(anchor) is not None


@given(anything, anything, anything)
def test_zendesk_status_never_raises(
    reply_code: object, status: object, diagnostic: object
) -> None:
    result = zendesk_status(reply_code, status, diagnostic)  # type: ignore[arg-type]  # garbage on purpose
    assert isinstance(result, ZendeskStatus)


@given(anything)
def test_zendesk_status_by_id_never_raises(value: object) -> None:
    result = zendesk_status_by_id(value)
    assert result is None or isinstance(result, ZendeskStatus)


@given(st.one_of(st.text(), code_like), langs)
def test_search_never_raises(text: str, lang: str) -> None:
    assert all(isinstance(info, CodeInfo) for info in search_codes(text, lang))


def test_known_garbage() -> None:
    for text in ("abc", "9.9.9", "5.999.999999", "5..1", "..", "5.1.", "#", "x", "5.1.1.1"):
        assert lookup(text) is None
        assert explain(text, text).message
        assert zendesk_status(text, text).id == 2
