"""Read the reference tables shipped next to this module, once per process.

The tables are tab-separated files, one row per code, so that a reviewer can read
(or a spreadsheet can open) every fact and every sentence side by side in both
languages. Nothing here interprets the rows beyond splitting them into fields.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from buzon.smtpcodes.model import Lang

ADVICE_SEPARATOR = " | "
"""Separates the steps of one advice cell; each step becomes one item of the list."""


@dataclass(frozen=True, slots=True)
class Wording:
    title: str
    summary: str
    advice: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One code as written in a table: its facts and its text in each language."""

    code: str
    source: str
    text: dict[Lang, Wording]


@dataclass(frozen=True, slots=True)
class ZendeskRow:
    id: int
    name: str
    code: str
    message_en: str
    message_es: str


def _read(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header, *rows = list(reader)
    records = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"{filename}:{number}: {len(row)} fields, expected {len(header)}")
        records.append(dict(zip(header, row, strict=True)))
    return records


def _wording(record: dict[str, str], lang: Lang) -> Wording:
    advice = tuple(step.strip() for step in record[f"advice_{lang}"].split(ADVICE_SEPARATOR))
    return Wording(record[f"title_{lang}"], record[f"summary_{lang}"], advice)


def _rows(filename: str, key: str = "code") -> tuple[Row, ...]:
    return tuple(
        Row(
            code=record[key],
            source=record.get("source", ""),
            text={"en": _wording(record, "en"), "es": _wording(record, "es")},
        )
        for record in _read(filename)
    )


@cache
def reply_rows() -> tuple[Row, ...]:
    """Basic reply codes ("550") and reply classes ("5xx"), in file order."""
    return _rows("reply_codes.tsv")


@cache
def enhanced_rows() -> tuple[Row, ...]:
    """Enhanced status codes of RFC 3463 and the IANA registry, as "X.subject.detail"."""
    return _rows("enhanced_codes.tsv")


@cache
def provider_rows() -> tuple[Row, ...]:
    """Codes with a meaning specific to one provider, for a given class ("5.7.509")."""
    return _rows("provider_codes.tsv")


@cache
def class_rows() -> tuple[Row, ...]:
    """What the class digit of an enhanced code adds: "2", "4" or "5"."""
    return _rows("status_classes.tsv", key="class")


@cache
def zendesk_rows() -> tuple[ZendeskRow, ...]:
    return tuple(
        ZendeskRow(
            id=int(record["id"]),
            name=record["name"],
            code=record["smtp_code"],
            message_en=record["message_en"],
            message_es=record["message_es"],
        )
        for record in _read("zendesk_delivery_status.tsv")
    )
