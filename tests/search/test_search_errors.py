"""Malformed queries raise QueryError saying what is wrong and where."""

from __future__ import annotations

import pytest

from buzon.search import QueryError, compile_tickets, parse_query


def error(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    return caught.value


def test_unknown_keyword_suggests_the_closest_one():
    exc = error("stauts:open")
    assert str(exc) == "unknown keyword 'stauts' at position 0; did you mean 'status'?"
    assert (exc.message, exc.position, exc.hint) == (
        "unknown keyword 'stauts'",
        0,
        "did you mean 'status'?",
    )


def test_unknown_keyword_position_skips_the_minus():
    exc = error("tags:vip -asignee:me")
    assert exc.position == 10
    assert exc.hint == "did you mean 'assignee'?"


def test_unknown_keyword_without_a_close_match_suggests_quotes():
    exc = error("see https://example.com/x")
    assert exc.position == 4
    assert exc.message == "unknown keyword 'https'"
    assert "put it in quotes" in exc.hint


def test_unknown_status_value():
    exc = error("type:ticket status:opne")
    assert exc.position == 19
    assert exc.message == "unknown status 'opne'"
    assert exc.hint.startswith("did you mean 'open'?")


def test_unknown_priority_lists_the_values():
    exc = error("priority:whenever")
    assert exc.position == 9
    assert exc.hint == "one of low, normal, high, urgent, none"


def test_comparison_with_none_is_refused():
    assert error("priority>none").message == "unknown priority 'none'"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("created>2026-13-01", 8, "2026-13-01 is not a calendar date"),
        ("created>2026-02-30", 8, "2026-02-30 is not a calendar date"),
        ("updated<yesterday", 8, "'yesterday' is not a date"),
        ("created>0999-01-01", 8, "the year must be between 1900 and 9998"),
        ("created>2026-01-01T25:00", 8, "'2026-01-01T25:00' has an impossible time of day"),
        ("created>4fortnights", 8, "unknown unit 'fortnights'"),
        ("created>999999999years", 8, "'999999999years' is too far back"),
    ],
)
def test_bad_dates(text, position, message):
    exc = error(text)
    assert exc.position == position
    assert exc.message.startswith(message)


def test_a_time_ago_needs_a_comparison():
    exc = error("created:2days")
    assert exc.position == 7
    assert exc.message == "created:2days is ambiguous"
    assert "created>2days" in exc.hint


def test_unterminated_quote():
    exc = error('tags:vip "factura duplicada')
    assert str(exc) == 'unterminated quote at position 9; close it with another "'


def test_unterminated_quoted_value():
    assert error('requester:"Ana Cliente').position == 10


def test_quote_inside_a_word():
    assert error('fac"tura').position == 3


def test_text_right_after_a_closing_quote():
    exc = error('"factura"duplicada')
    assert (exc.message, exc.position) == ("expected a space after the closing quote", 9)


def test_keyword_without_a_value():
    exc = error("status: open")
    assert str(exc) == (
        "status: needs a value at position 7; write it without a space, e.g. status:open"
    )
    assert error("tags:").position == 5
    assert error('tags:""').message == "tags: needs a value"


def test_operator_that_does_not_apply():
    exc = error("tags>vip")
    assert (exc.message, exc.position) == ("'>' does not apply to tags", 4)
    assert error("role<=agent").position == 4


def test_invalid_tag():
    assert error('tags:"a<b"').position == 5


def test_unknown_role_and_via():
    assert error("role:boss").message == "unknown role 'boss'"
    assert error("via:fax").message == "unknown via 'fax'"


def test_unsupported_result_type():
    exc = error("type:organization acme")
    assert exc.message == "Buzón search finds tickets and users, not organizations"
    assert exc.position == 5
    assert error("type:widget").message == "unknown type 'widget'"


def test_type_conflicts():
    exc = error("type:user status:open")
    assert exc.position == 10
    assert exc.message == "status applies to tickets only, but type: asks for users"
    exc = error("role:agent status:open")
    assert exc.position == 11
    assert exc.message == "status applies to tickets only, but an earlier term is about users"
    exc = error("type:ticket type:user status:open role:agent")
    assert exc.message == "role applies to users only, but an earlier term is about tickets"
    assert error("type:user #5").message == (
        "a ticket id applies to tickets only, but type: asks for users"
    )
    assert error("type:user order_by:priority").position == 10
    assert error("type:ticket -type:ticket").message == "type: excludes every kind of result"


def test_unknown_order():
    exc = error("order_by:name")
    assert exc.position == 9
    assert exc.hint.startswith("one of created_at")
    assert error("sort:sideways").hint.startswith("one of asc, desc")


def test_order_cannot_be_excluded():
    assert error("-order_by:priority").message == "order_by: cannot be excluded"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("-", 0),
        ("tags:vip - status:open", 9),
        ("--spam", 1),
        ("*", 0),
        ("#99999999999999999999", 0),
    ],
)
def test_malformed_terms(text, position):
    assert error(text).position == position


def test_empty_quotes():
    assert error('ana ""').position == 4


def test_invalid_characters():
    assert error("ana\x00").position == 3
    assert error("ana \ud800").position == 4


def test_limits():
    assert error("a" * 1001).message == "the query is too long (at most 1000 characters)"
    assert error(" ".join(["w"] * 41)).message == "too many terms (at most 40)"


def test_me_needs_a_user(db):
    with pytest.raises(QueryError) as caught:
        compile_tickets("status:open assignee:me", user=None)
    assert (caught.value.message, caught.value.position) == ("'me' needs a signed-in user", 12)


def test_query_error_is_a_value_error():
    assert isinstance(error("stauts:open"), ValueError)
