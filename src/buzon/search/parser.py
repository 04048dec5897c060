"""Zendesk's search syntax, tokenized and parsed by hand into a `Query`.

A query is terms separated by spaces, all of which must match:

    type:ticket tags:vip status<solved requester:ana@example.com "factura duplicada"

A term is a word, a "quoted phrase", `#123`, an encoded id (`ABC234-DEF5`), or
`keyword` + operator (`:` `<` `>` `<=` `>=`) + value (a word or a "quoted value");
a leading `-` excludes what the term matches. Several `:` terms with the same
keyword match ANY of their values (`tags:a tags:b`, `status:new status:open`);
every other term must hold. docs/search.md has the full table.

Parsing never touches the database: values are checked for form here (a known
status, a real date) and resolved against the database by `buzon.search.compiler`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from buzon.search.errors import QueryError
from buzon.search.times import TimeValueError, parse_time
from buzon.tickets.changes import TicketChangeError, split_tags
from buzon.tickets.models import (
    ENCODED_ID_ALPHABET,
    ORDERED_FIELDS,
    Role,
    TicketType,
    Via,
)

TICKET, USER = "ticket", "user"
ALL_TYPES = frozenset({TICKET, USER})
TICKETS_ONLY = frozenset({TICKET})
USERS_ONLY = frozenset({USER})

EQUALS = ":"
COMPARISONS = ("<", ">", "<=", ">=")
ALL_OPERATORS = (EQUALS, *COMPARISONS)

# Guards against queries that would compile to enormous SQL.
MAX_QUERY_LENGTH = 1000
MAX_TERMS = 40

# The largest id a database integer column holds.
MAX_ID = 2**63 - 1

KEYWORD_RE = re.compile(r"([A-Za-z_]+)(<=|>=|:|<|>)")
TICKET_ID_RE = re.compile(r"#?(\d+)")
ENCODED_ID_RE = re.compile(rf"[{ENCODED_ID_ALPHABET}]{{6}}-[{ENCODED_ID_ALPHABET}]{{4}}")
NUMBER_RE = re.compile(r"\d+")

ORDER_FIELDS: dict[str, str] = {
    "created_at": "created_at",
    "created": "created_at",
    "updated_at": "updated_at",
    "updated": "updated_at",
    "priority": "priority",
    "status": "status",
    "ticket_type": "ticket_type",
}
SORT_DIRECTIONS = ("asc", "desc")
TICKET_ONLY_ORDERS = {"priority", "status", "ticket_type"}

OBJECT_TYPES = {"ticket": TICKET, "tickets": TICKET, "user": USER, "users": USER}
UNSUPPORTED_TYPES = {"organization", "group", "article", "entry"}

ROLE_VALUES = {"end-user": Role.END_USER, "end_user": Role.END_USER, "enduser": Role.END_USER}
ROLE_VALUES |= {"agent": Role.AGENT, "admin": Role.ADMIN}


@dataclass(frozen=True)
class Term:
    """One condition of a query, with its value already checked and normalized.

    `field` is the canonical keyword ("status", "tags", ...), or "text" for free
    text, "id" for `#123`, "encoded_id" for `ABC234-DEF5`.
    """

    field: str
    operator: str
    value: Any
    negated: bool = False
    position: int = 0


@dataclass(frozen=True)
class Text:
    """Free text: a word (`prefix` when written `fact*`) or an exact `phrase`."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Person:
    """Who `requester:` etc. name: `me`, `none`, a user id, an email, or (part of) a name."""

    kind: str  # "me" | "none" | "id" | "email" | "name"
    value: str | int = ""


@dataclass(frozen=True)
class Named:
    """A group or organization: `none`, an id, or (part of) its name."""

    kind: str  # "none" | "id" | "name"
    value: str | int = ""


@dataclass(frozen=True)
class Query:
    """A parsed query: what to match (`terms`), which kinds of results, in what order.

    `types` is what the query can find: both kinds unless `type:` says otherwise or a
    term only makes sense for one kind (`status:` is about tickets, `role:` users).
    `order_by` is None for the default order (most recently updated first).
    """

    text: str
    terms: tuple[Term, ...] = ()
    types: frozenset[str] = ALL_TYPES
    order_by: str | None = None
    sort: str = "desc"

    @property
    def finds_tickets(self) -> bool:
        return TICKET in self.types

    @property
    def finds_users(self) -> bool:
        return USER in self.types


@dataclass(frozen=True)
class RawTerm:
    """A term as written, before its keyword and value are understood."""

    position: int
    negated: bool
    keyword: str | None
    keyword_position: int
    operator: str
    value: str
    value_position: int
    quoted: bool


# What a keyword's value becomes: called with the raw term, raises QueryError.
Cleaner = Callable[[RawTerm], Any]


@dataclass(frozen=True)
class Keyword:
    name: str
    applies_to: frozenset[str]
    clean: Cleaner
    operators: tuple[str, ...] = (EQUALS,)


def parse_query(text: str) -> Query:
    """Parse a query; raise QueryError (with the position) when any part is wrong."""
    _check_characters(text)
    terms: list[Term] = []
    included: set[str] = set()
    excluded: set[str] = set()
    type_position: int | None = None
    order_by: tuple[str, int] | None = None
    sort = "desc"
    for raw in tokenize(text):
        if raw.keyword is None:
            terms.append(_free_term(raw))
        else:
            name = _canonical_keyword(raw)
            if not raw.value.strip():
                raise QueryError(
                    f"{raw.keyword}{raw.operator} needs a value",
                    raw.value_position,
                    f"write it without a space, e.g. {EXAMPLES.get(name, name + ':…')}",
                )
            if name == "type" and raw.value.strip().lower() not in TicketType.values:
                kind = _object_type(raw)
                (excluded if raw.negated else included).add(kind)
                type_position = raw.position if type_position is None else type_position
            elif name == "type":
                terms.append(_clean_term(raw, "ticket_type"))
            elif name in ("order_by", "sort"):
                _refuse_negation(raw)
                value = raw.value.strip().lower()
                if name == "sort" and value in SORT_DIRECTIONS:
                    sort = value
                else:
                    order_by = (_order_field(raw, name), raw.position)
            else:
                terms.append(_clean_term(raw, name))
        if len(terms) > MAX_TERMS:
            raise QueryError(f"too many terms (at most {MAX_TERMS})", raw.position)
    types = _types(terms, included, excluded, type_position, order_by)
    return Query(
        text=text,
        terms=tuple(terms),
        types=types,
        order_by=order_by[0] if order_by else None,
        sort=sort,
    )


def _check_characters(text: str) -> None:
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is too long (at most {MAX_QUERY_LENGTH} characters)", MAX_QUERY_LENGTH
        )
    for position, char in enumerate(text):
        # NUL cannot be sent to PostgreSQL; lone surrogates cannot be encoded at all.
        if char == "\x00" or "\ud800" <= char <= "\udfff":
            raise QueryError(f"invalid character {char!r}", position)


# --- Tokenizer ---------------------------------------------------------------------


def tokenize(text: str) -> Iterator[RawTerm]:
    """Split a query into raw terms; raise QueryError on a quoting mistake."""
    position = 0
    while True:
        position = _skip_spaces(text, position)
        if position >= len(text):
            return
        start = position
        negated = text[position] == "-"
        if negated:
            position += 1
            if position >= len(text) or text[position].isspace():
                raise QueryError("'-' must be followed by the term to exclude", start)
            if text[position] == "-":
                raise QueryError("a term can be excluded only once", position)
        keyword: str | None = None
        operator = ""
        keyword_position = position
        if match := KEYWORD_RE.match(text, position):
            keyword, operator = match.group(1).lower(), match.group(2)
            position = match.end()
        value, quoted, value_position, position = _read_value(text, position)
        yield RawTerm(
            position=start,
            negated=negated,
            keyword=keyword,
            keyword_position=keyword_position,
            operator=operator,
            value=value,
            value_position=value_position,
            quoted=quoted,
        )


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _read_value(text: str, position: int) -> tuple[str, bool, int, int]:
    """(value, quoted, where the value starts, where the term ends)."""
    if position >= len(text) or text[position].isspace():
        return "", False, position, position
    if text[position] == '"':
        closing = text.find('"', position + 1)
        if closing == -1:
            raise QueryError("unterminated quote", position, 'close it with another "')
        end = closing + 1
        if end < len(text) and not text[end].isspace():
            raise QueryError("expected a space after the closing quote", end)
        return text[position + 1 : closing], True, position, end
    end = position
    while end < len(text) and not text[end].isspace():
        if text[end] == '"':
            raise QueryError("unexpected quote inside a word", end, "put the whole value in quotes")
        end += 1
    return text[position:end], False, position, end


# --- Terms -------------------------------------------------------------------------


def _free_term(raw: RawTerm) -> Term:
    value = raw.value
    if raw.quoted:
        if not value.strip():
            raise QueryError("empty quotes", raw.value_position)
        return _term(raw, "text", Text(" ".join(value.split()), phrase=True))
    if (match := TICKET_ID_RE.fullmatch(value)) and int(match.group(1)) <= MAX_ID:
        return _term(raw, "id", int(match.group(1)))
    if value.startswith("#") and NUMBER_RE.fullmatch(value[1:]):
        raise QueryError(f"ticket id {value} is too large", raw.value_position)
    if ENCODED_ID_RE.fullmatch(value):
        return _term(raw, "encoded_id", value)
    if value.endswith("*"):
        stem = value.rstrip("*")
        if not stem:
            raise QueryError(
                "a wildcard needs at least one character before it", raw.value_position
            )
        return _term(raw, "text", Text(stem, prefix=True))
    return _term(raw, "text", Text(value))


def _term(raw: RawTerm, field: str, value: Any, operator: str = EQUALS) -> Term:
    return Term(field, operator, value, negated=raw.negated, position=raw.position)


def _canonical_keyword(raw: RawTerm) -> str:
    assert raw.keyword is not None
    name = ALIASES.get(raw.keyword, raw.keyword)
    if name in KEYWORDS or name in SPECIAL_KEYWORDS:
        return name
    known = sorted({*KEYWORDS, *ALIASES, *SPECIAL_KEYWORDS})
    close = difflib.get_close_matches(raw.keyword, known, n=1, cutoff=0.6)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else 'to search for the text itself, put it in quotes: "' + raw.keyword + ':…"'
    )
    raise QueryError(f"unknown keyword '{raw.keyword}'", raw.keyword_position, hint)


def _clean_term(raw: RawTerm, field: str) -> Term:
    keyword = KEYWORDS[field]
    if raw.operator not in keyword.operators:
        allowed = " ".join(f"{field}{op}" for op in keyword.operators)
        raise QueryError(
            f"'{raw.operator}' does not apply to {field}",
            raw.value_position - len(raw.operator),
            f"use {allowed}",
        )
    return _term(raw, field, keyword.clean(raw), raw.operator)


def _refuse_negation(raw: RawTerm) -> None:
    if raw.negated:
        raise QueryError(f"{raw.keyword}: cannot be excluded", raw.position)


def _object_type(raw: RawTerm) -> str:
    value = raw.value.strip().lower()
    if raw.operator != EQUALS:
        raise QueryError(
            f"'{raw.operator}' does not apply to type",
            raw.value_position - len(raw.operator),
            "use type:ticket or type:user",
        )
    if value in OBJECT_TYPES:
        return OBJECT_TYPES[value]
    if value in UNSUPPORTED_TYPES:
        raise QueryError(f"Buzón search finds tickets and users, not {value}s", raw.value_position)
    raise _unknown_value(raw, "type", ["ticket", "user", *TicketType.values])


def _order_field(raw: RawTerm, name: str) -> str:
    value = raw.value.strip().lower()
    if raw.operator != EQUALS:
        raise QueryError(
            f"'{raw.operator}' does not apply to {raw.keyword}",
            raw.value_position - len(raw.operator),
        )
    if value in ORDER_FIELDS:
        return ORDER_FIELDS[value]
    choices = ["created_at", "updated_at", "priority", "status", "ticket_type"]
    if name == "sort":
        choices = [*SORT_DIRECTIONS, *choices]
    raise _unknown_value(raw, raw.keyword or name, choices)


def _types(
    terms: list[Term],
    included: set[str],
    excluded: set[str],
    type_position: int | None,
    order_by: tuple[str, int] | None,
) -> frozenset[str]:
    """What the query can find: `type:` terms, narrowed by the terms that need one kind."""
    asked = frozenset(included or ALL_TYPES) - excluded
    if not asked:
        raise QueryError("type: excludes every kind of result", type_position or 0)
    needs = [(_term_name(term), _applies_to(term), term.position) for term in terms]
    if order_by and order_by[0] in TICKET_ONLY_ORDERS:
        needs.append((f"order_by:{order_by[0]}", TICKETS_ONLY, order_by[1]))
    types = asked
    for name, applies_to, position in needs:
        if not types & applies_to:
            kinds = " and ".join(sorted(f"{t}s" for t in applies_to))
            searched = " and ".join(sorted(f"{t}s" for t in types))
            reason = "type: asks for" if types == asked else "an earlier term is about"
            raise QueryError(
                f"{name} applies to {kinds} only, but {reason} {searched}",
                position,
                "search tickets and users in separate queries",
            )
        types &= applies_to
    return types


def _term_name(term: Term) -> str:
    return {"id": "a ticket id", "encoded_id": "an encoded id"}.get(term.field, term.field)


def _applies_to(term: Term) -> frozenset[str]:
    if term.field in KEYWORDS:
        return KEYWORDS[term.field].applies_to
    return FREE_TERM_TYPES[term.field]


# --- Values ------------------------------------------------------------------------


def _unknown_value(raw: RawTerm, field: str, choices: list[str]) -> QueryError:
    value = raw.value.strip()
    close = difflib.get_close_matches(value.lower(), choices, n=1, cutoff=0.6)
    listing = ", ".join(choices)
    hint = f"did you mean '{close[0]}'? ({listing})" if close else f"one of {listing}"
    return QueryError(f"unknown {field} '{value}'", raw.value_position, hint)


def _choice(field: str, choices: list[str], *, allow_none: bool = False) -> Cleaner:
    """A value from a fixed list; `none` (the empty value) when `allow_none`."""

    def clean(raw: RawTerm) -> str:
        value = raw.value.strip().lower()
        if allow_none and value == "none" and raw.operator == EQUALS:
            return ""
        if value not in choices:
            raise _unknown_value(raw, field, [*choices, *(["none"] if allow_none else [])])
        return value

    return clean


def _clean_role(raw: RawTerm) -> str:
    value = raw.value.strip().lower()
    if value not in ROLE_VALUES:
        raise _unknown_value(raw, "role", list(Role.values))
    return ROLE_VALUES[value]


def _clean_tags(raw: RawTerm) -> tuple[str, ...]:
    try:
        tags = split_tags(raw.value)
    except TicketChangeError as exc:
        raise QueryError(str(exc), raw.value_position) from None
    if not tags:
        raise QueryError("tags: needs at least one tag", raw.value_position)
    return tuple(tags)


def _clean_person(raw: RawTerm) -> Person:
    value = " ".join(raw.value.split())
    lowered = value.lower()
    if lowered in ("me", "none") and not raw.quoted:
        return Person(lowered)
    if NUMBER_RE.fullmatch(value):
        return Person("id", _id(raw, value))
    if "@" in value:
        return Person("email", value)
    return Person("name", value)


def _clean_named(raw: RawTerm) -> Named:
    value = " ".join(raw.value.split())
    if value.lower() == "none" and not raw.quoted:
        return Named("none")
    if NUMBER_RE.fullmatch(value):
        return Named("id", _id(raw, value))
    return Named("name", value)


def _id(raw: RawTerm, digits: str) -> int:
    number = int(digits)
    if number > MAX_ID:
        raise QueryError(f"id {digits} is too large", raw.value_position)
    return number


def _clean_time(raw: RawTerm) -> Any:
    try:
        value = parse_time(raw.value)
    except TimeValueError as exc:
        raise QueryError(str(exc), raw.value_position) from None
    if value.is_relative and raw.operator == EQUALS:
        keyword, text = raw.keyword, raw.value
        raise QueryError(
            f"{keyword}:{text} is ambiguous",
            raw.value_position - 1,
            f"use {keyword}>{text} for the last {text}, or {keyword}<{text} for before then",
        )
    return value


def _clean_text(raw: RawTerm) -> Text:
    value = " ".join(raw.value.split())
    if not raw.quoted and value.endswith("*") and value.rstrip("*"):
        return Text(value.rstrip("*"), prefix=True)
    return Text(value, phrase=raw.quoted)


def _clean_word(raw: RawTerm) -> str:
    return " ".join(raw.value.split())


def _keywords(*keywords: Keyword) -> dict[str, Keyword]:
    return {k.name: k for k in keywords}


KEYWORDS: dict[str, Keyword] = _keywords(
    Keyword("status", TICKETS_ONLY, _choice("status", ORDERED_FIELDS["status"]), ALL_OPERATORS),
    Keyword(
        "priority",
        TICKETS_ONLY,
        _choice("priority", ORDERED_FIELDS["priority"], allow_none=True),
        ALL_OPERATORS,
    ),
    Keyword(
        "ticket_type",
        TICKETS_ONLY,
        _choice("ticket_type", list(TicketType.values), allow_none=True),
    ),
    Keyword("tags", TICKETS_ONLY, _clean_tags),
    Keyword("requester", TICKETS_ONLY, _clean_person),
    Keyword("submitter", TICKETS_ONLY, _clean_person),
    Keyword("assignee", TICKETS_ONLY, _clean_person),
    Keyword("cc", TICKETS_ONLY, _clean_person),
    Keyword("commenter", TICKETS_ONLY, _clean_person),
    Keyword("group", TICKETS_ONLY, _clean_named),
    Keyword("organization", ALL_TYPES, _clean_named),
    Keyword("via", TICKETS_ONLY, _choice("via", list(Via.values))),
    Keyword("subject", TICKETS_ONLY, _clean_text),
    Keyword("created", ALL_TYPES, _clean_time, ALL_OPERATORS),
    Keyword("updated", ALL_TYPES, _clean_time, ALL_OPERATORS),
    Keyword("name", USERS_ONLY, _clean_word),
    Keyword("email", USERS_ONLY, _clean_word),
    Keyword("role", USERS_ONLY, _clean_role),
)

ALIASES = {
    "tag": "tags",
    "created_at": "created",
    "updated_at": "updated",
    "org": "organization",
    "organisation": "organization",
    "email_cc": "cc",
    "sort_by": "order_by",
    "sort_order": "sort",
}
SPECIAL_KEYWORDS = {"type", "order_by", "sort"}

# The kinds of result each keyword-less term can find.
FREE_TERM_TYPES = {"text": ALL_TYPES, "id": TICKETS_ONLY, "encoded_id": TICKETS_ONLY}

EXAMPLES = {
    "status": "status:open",
    "priority": "priority>normal",
    "ticket_type": "ticket_type:incident",
    "tags": "tags:vip",
    "created": "created>2026-01-01",
    "updated": "updated<2days",
    "type": "type:ticket",
    "order_by": "order_by:updated_at",
    "sort": "sort:desc",
}
