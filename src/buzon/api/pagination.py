"""Zendesk's two ways through a list.

- Offset: `?page=2&per_page=50` → `next_page`, `previous_page` (URLs or null), `count`.
- Cursor: `?page[size]=50&page[after]=…` (or `page[before]`) → `meta {has_more,
  after_cursor, before_cursor}`, `links {next, prev}`.

Cursor pagination is used when `page[size]`, `page[after]` or `page[before]` is
present. A cursor is opaque to clients: the sort values of the boundary row, so a
page is an index range scan however deep it is (`WHERE (updated_at, id) < (…)`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

from buzon.api.errors import bad_request
from buzon.api.router import Call, Param

MAX_PAGE_SIZE = 100

OFFSET_PARAMS = [
    Param("page", int, "Offset pagination: the page number (from 1)"),
    Param("per_page", int, "Offset pagination: items per page (at most 100)"),
]
CURSOR_PARAMS = [
    Param("page[size]", int, "Cursor pagination: items per page (at most 100)"),
    Param("page[after]", str, "Cursor pagination: the meta.after_cursor of the previous page"),
    Param("page[before]", str, "Cursor pagination: the meta.before_cursor of the next page"),
]
PAGE_PARAMS = OFFSET_PARAMS + CURSOR_PARAMS


def uses_cursor(call: Call) -> bool:
    return any(call.param(p.name) is not None for p in CURSOR_PARAMS)


@dataclass
class Page:
    items: list[Any]
    envelope: dict[str, Any]  # next_page/previous_page/count, or meta/links


def paginate(
    call: Call,
    queryset: QuerySet[Any],
    ordering: Sequence[str] = ("id",),
    *,
    cursor: bool = True,
    count: Callable[[], int] | None = None,
) -> Page:
    """A page of `queryset` as the request asks for it.

    `ordering` must end with a unique, non-null column (the id) and name only
    non-null columns, so that cursors are exact.
    """
    if cursor and uses_cursor(call):
        return cursor_page(call, queryset, list(ordering))
    return offset_page(call, queryset.order_by(*ordering), count=count)


def offset_page(
    call: Call, queryset: QuerySet[Any] | Any, *, count: Callable[[], int] | None = None
) -> Page:
    page = call.int_param("page", 1, high=100_000) or 1
    per_page = call.int_param("per_page", MAX_PAGE_SIZE, high=MAX_PAGE_SIZE) or MAX_PAGE_SIZE
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page + 1])
    has_more = len(items) > per_page
    items = items[:per_page]
    total = count() if count is not None else queryset.count()
    return Page(
        items,
        {
            "next_page": call.this_url(page=page + 1) if has_more else None,
            "previous_page": call.this_url(page=page - 1) if page > 1 else None,
            "count": total,
        },
    )


def cursor_page(call: Call, queryset: QuerySet[Any], ordering: list[str]) -> Page:
    size = call.int_param("page[size]", MAX_PAGE_SIZE, high=MAX_PAGE_SIZE) or MAX_PAGE_SIZE
    after = call.param("page[after]")
    before = call.param("page[before]")
    if after and before:
        raise bad_request("page[after] and page[before] cannot be used together", "page")
    if after:
        queryset = queryset.filter(_beyond(ordering, decode_cursor(after, ordering), True))
    elif before:
        queryset = queryset.filter(_beyond(ordering, decode_cursor(before, ordering), False))
    if before:
        reverse = [f[1:] if f.startswith("-") else f"-{f}" for f in ordering]
        rows = list(queryset.order_by(*reverse)[: size + 1])
        has_more = len(rows) > size
        rows = list(reversed(rows[:size]))
    else:
        rows = list(queryset.order_by(*ordering)[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
    after_cursor = encode_cursor(rows[-1], ordering) if rows else None
    before_cursor = encode_cursor(rows[0], ordering) if rows else None
    # Going forward, "more" means more after this page; going back, more before it.
    more_after = has_more if not before else True
    more_before = bool(after or (before and has_more))
    return Page(
        rows,
        {
            "meta": {
                "has_more": has_more,
                "after_cursor": after_cursor,
                "before_cursor": before_cursor,
            },
            "links": {
                "next": _link(call, size, after=after_cursor) if rows and more_after else None,
                "prev": _link(call, size, before=before_cursor) if rows and more_before else None,
            },
        },
    )


def _link(call: Call, size: int, **cursor: str | None) -> str:
    key, value = next(iter(cursor.items()))
    return call.this_url(
        **{"page[size]": size, "page[after]": None, "page[before]": None, f"page[{key}]": value}
    )


def _value(row: Model | dict[str, Any], name: str) -> Any:
    value = row[name] if isinstance(row, dict) else getattr(row, name)
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(row: Model | dict[str, Any], ordering: list[str]) -> str:
    values = [_value(row, f.lstrip("-")) for f in ordering]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, ordering: list[str]) -> list[Any]:
    invalid = bad_request("the cursor is not valid; use a cursor from meta or links", "page")
    try:
        padded = text + "=" * (-len(text) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise invalid from None
    if not isinstance(values, list) or len(values) != len(ordering):
        raise invalid
    decoded: list[Any] = []
    for name, value in zip(ordering, values, strict=True):
        column = name.lstrip("-")
        if column.endswith("_at"):
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise invalid
            decoded.append(parsed)
        elif column == "id" or column.endswith("_id") or column == "position":
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**62:
                raise invalid
            decoded.append(value)
        else:
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise invalid
            decoded.append(value)
    return decoded


def _beyond(ordering: list[str], values: list[Any], forward: bool) -> Q:
    """Rows strictly after (forward) or before the row with these sort values."""
    condition = Q()
    for index in range(len(ordering) - 1, -1, -1):
        name = ordering[index]
        column = name.lstrip("-")
        descending = name.startswith("-")
        lookup = "lt" if descending == forward else "gt"
        step = Q(**{f"{column}__{lookup}": values[index]})
        if index < len(ordering) - 1:
            step |= Q(**{column: values[index]}) & condition
        condition = step
    return condition
