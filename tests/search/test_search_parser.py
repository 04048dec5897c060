"""parse_query: from text to terms, without the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from buzon.search import Query, Term, parse_query
from buzon.search.parser import Named, Person, Text
from buzon.search.times import TimeValue


def terms(text: str) -> list[tuple[str, str, object, bool]]:
    return [(t.field, t.operator, t.value, t.negated) for t in parse_query(text).terms]


def test_empty_query_has_no_terms_and_finds_both_kinds():
    query = parse_query("   ")
    assert query == Query(text="   ")
    assert query.types == {"ticket", "user"}
    assert query.order_by is None and query.sort == "desc"


def test_type_ticket_with_tags_and_status_comparison():
    query = parse_query("type:ticket tags:system_email_notification_failure status<solved")
    assert query.types == {"ticket"}
    assert query.terms == (
        Term("tags", ":", ("system_email_notification_failure",), position=12),
        Term("status", "<", "solved", position=51),
    )


@pytest.mark.parametrize("operator", [":", "<", ">", "<=", ">="])
def test_status_and_priority_take_every_operator(operator):
    assert terms(f"status{operator}pending priority{operator}high") == [
        ("status", operator, "pending", False),
        ("priority", operator, "high", False),
    ]


def test_values_and_keywords_are_case_insensitive():
    assert terms("Status:OPEN TAGS:VIP Via:Email") == [
        ("status", ":", "open", False),
        ("tags", ":", ("vip",), False),
        ("via", ":", "email", False),
    ]


def test_leading_minus_excludes_any_term():
    assert terms('-tags:vip -status:solved -"hola ana" -spam') == [
        ("tags", ":", ("vip",), True),
        ("status", ":", "solved", True),
        ("text", ":", Text("hola ana", phrase=True), True),
        ("text", ":", Text("spam"), True),
    ]


def test_a_quoted_tag_list_is_one_term_with_every_tag():
    assert terms('tags:"billing VIP" tags:urgent') == [
        ("tags", ":", ("billing", "vip"), False),
        ("tags", ":", ("urgent",), False),
    ]


def test_tag_alias():
    assert terms("tag:vip") == [("tags", ":", ("vip",), False)]


def test_people_values():
    assert [t[2] for t in terms("requester:ana@example.com assignee:me submitter:none cc:42")] == [
        Person("email", "ana@example.com"),
        Person("me"),
        Person("none"),
        Person("id", 42),
    ]
    assert terms('commenter:"Ana  Cliente"') == [
        ("commenter", ":", Person("name", "Ana Cliente"), False)
    ]


def test_quoted_me_is_a_name():
    assert terms('assignee:"me"') == [("assignee", ":", Person("name", "me"), False)]


def test_group_and_organization_values():
    assert [t[2] for t in terms('group:Billing organization:none org:7 group:"Tier 2"')] == [
        Named("name", "Billing"),
        Named("none"),
        Named("id", 7),
        Named("name", "Tier 2"),
    ]


def test_ticket_type_keyword_and_type_with_a_ticket_type():
    assert terms("ticket_type:incident") == [("ticket_type", ":", "incident", False)]
    query = parse_query("type:problem")
    assert query.types == {"ticket"}
    assert terms("type:problem") == [("ticket_type", ":", "problem", False)]
    assert terms("ticket_type:none priority:none") == [
        ("ticket_type", ":", "", False),
        ("priority", ":", "", False),
    ]


def test_dates_days_instants_and_times_ago():
    created, updated, updated_at = parse_query(
        "created>2026-01-01 updated<2026-03-04T09:30Z updated_at<=2days"
    ).terms
    assert created.value == TimeValue("2026-01-01", day=date(2026, 1, 1))
    assert updated.value == TimeValue(
        "2026-03-04T09:30Z",
        instant=datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
        precision=timedelta(minutes=1),
    )
    assert updated_at.field == "updated" and updated_at.operator == "<="
    assert updated_at.value.ago == timedelta(days=2)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("30minutes", timedelta(minutes=30)),
        ("1hour", timedelta(hours=1)),
        ("4hours", timedelta(hours=4)),
        ("2days", timedelta(days=2)),
        ("3weeks", timedelta(weeks=3)),
        ("1month", timedelta(days=30)),
        ("2years", timedelta(days=730)),
    ],
)
def test_times_ago(text, ago):
    (term,) = parse_query(f"created>{text}").terms
    assert term.value.ago == ago


def test_instants_with_offsets_and_seconds():
    (term,) = parse_query("created>2026-01-01T12:00:30+02:00").terms
    assert term.value.instant == datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
    assert term.value.precision == timedelta(seconds=1)


def test_free_text_words_phrases_and_prefixes():
    assert terms('factura "cobro doble" fact*') == [
        ("text", ":", Text("factura"), False),
        ("text", ":", Text("cobro doble", phrase=True), False),
        ("text", ":", Text("fact", prefix=True), False),
    ]


def test_free_text_finds_both_kinds():
    assert parse_query("ana").types == {"ticket", "user"}


def test_ticket_ids_hash_and_bare_number():
    assert terms("#123 456 -#7") == [
        ("id", ":", 123, False),
        ("id", ":", 456, False),
        ("id", ":", 7, True),
    ]
    assert parse_query("#123").types == {"ticket"}


def test_a_number_too_large_for_an_id_is_free_text():
    number = "9" * 30
    assert terms(number) == [("text", ":", Text(number), False)]


def test_encoded_id():
    assert terms("ABC234-DEF5") == [("encoded_id", ":", "ABC234-DEF5", False)]
    # Lower case, or letters outside the alphabet (I, O, 0, 1), are just words.
    assert terms("seller-team") == [("text", ":", Text("seller-team"), False)]
    assert terms("ABC1O4-DEF5") == [("text", ":", Text("ABC1O4-DEF5"), False)]


def test_a_word_with_a_colon_after_digits_is_text():
    assert terms("10:30") == [("text", ":", Text("10:30"), False)]


@pytest.mark.parametrize(
    ("text", "order_by", "sort"),
    [
        ("order_by:updated_at sort:desc", "updated_at", "desc"),
        ("order_by:created_at sort:asc", "created_at", "asc"),
        ("order_by:created", "created_at", "desc"),
        ("sort_by:priority sort_order:asc", "priority", "asc"),
        ("sort:status", "status", "desc"),
        ("order_by:ticket_type", "ticket_type", "desc"),
        ("order_by:status order_by:priority", "priority", "desc"),
    ],
)
def test_order_forms(text, order_by, sort):
    query = parse_query(text)
    assert (query.order_by, query.sort) == (order_by, sort)
    assert query.terms == ()


def test_ordering_by_a_ticket_field_is_a_ticket_query():
    assert parse_query("order_by:priority").types == {"ticket"}
    assert parse_query("order_by:created_at").types == {"ticket", "user"}


def test_type_terms():
    assert parse_query("type:user").types == {"user"}
    assert parse_query("type:ticket type:user").types == {"ticket", "user"}
    assert parse_query("-type:user").types == {"ticket"}
    assert parse_query("type:tickets").types == {"ticket"}


def test_user_keywords_make_a_user_query():
    query = parse_query("name:ana email:ana@example.com role:end-user")
    assert query.types == {"user"}
    assert [t.value for t in query.terms] == ["ana", "ana@example.com", "end-user"]
    assert terms("role:end_user") == [("role", ":", "end-user", False)]


def test_organization_and_dates_apply_to_both_kinds():
    assert parse_query("organization:acme created>2026-01-01").types == {"ticket", "user"}


def test_subject_keyword():
    assert terms('subject:"factura duplicada" subject:fact*') == [
        ("subject", ":", Text("factura duplicada", phrase=True), False),
        ("subject", ":", Text("fact", prefix=True), False),
    ]


def test_spaces_of_any_kind_separate_terms():
    assert terms("status:open\ttags:vip\n\u00a0ana") == [
        ("status", ":", "open", False),
        ("tags", ":", ("vip",), False),
        ("text", ":", Text("ana"), False),
    ]


def test_positions_point_at_each_term():
    query = parse_query("  status:open   -tags:vip")
    assert [t.position for t in query.terms] == [2, 16]
