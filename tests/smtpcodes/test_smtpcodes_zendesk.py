"""zendesk_status(): Buzón's results in Zendesk's delivery-status vocabulary."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from buzon.smtpcodes import (
    ZendeskStatus,
    lookup,
    zendesk_status,
    zendesk_status_by_id,
    zendesk_statuses,
)

# Zendesk's table as published (id, name, SMTP code), kept beside this test: the shipped
# table (with our messages) must match it row for row.
REFERENCE_TABLE = Path(__file__).with_name("zendesk-delivery-status.tsv")

# Zendesk's table as given in the brief: (id, name, code).
EXPECTED_ROWS = [
    (0, "NONE", "0"),
    (5, "DELIVERED", "200"),
    (7, "AUTHENTICATION_EXCHANGE_LINE_TOO_LONG", "500 5.5.6"),
    (29, "MAILBOX_UNAVAILABLE", "550"),
    (31, "MAILBOX_FULL", "552"),
    (34, "MESSAGE_TOO_BIG", "554 5.3.4"),
    (39, "USER_DOES_NOT_EXIST", "550 5.1.1"),
    (42, "HEADER_SIZE_EXCEEDS_FIXED_MAXIMUM_SIZE", "552 5.3.4"),
    (46, "EC_INTEGRATION_ERROR", "EC-001"),
    (54, "NOT_ALLOWED_TO_RECEIVE_EMAIL", "542 5.0.0"),
]


def test_the_table_has_all_55_rows_in_order() -> None:
    statuses = zendesk_statuses()
    assert [status.id for status in statuses] == list(range(55))
    for status_id, name, code in EXPECTED_ROWS:
        status = zendesk_status_by_id(status_id)
        assert (status.name, status.code) == (name, code)


def test_the_table_matches_the_reference() -> None:
    with REFERENCE_TABLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [(int(r["id"]), r["name"], r["smtp_code"]) for r in rows] == [
        (s.id, s.name, s.code) for s in zendesk_statuses()
    ]


def reply_and_status(code: str) -> tuple[str, str | None]:
    reply, _, status = code.partition(" ")
    return reply, status or None


@pytest.mark.parametrize("status", zendesk_statuses(), ids=lambda s: s.name)
def test_every_row_is_reachable_by_its_own_code(status: ZendeskStatus) -> None:
    reply, enhanced = reply_and_status(status.code)
    # Row 42 is reached only when the server says the headers are the problem
    # (see the module docstring of buzon.smtpcodes.zendesk).
    diagnostic = "552 5.3.4 Header size exceeds fixed maximum size" if status.id == 42 else None
    assert zendesk_status(reply, enhanced, diagnostic) == status
    assert zendesk_status(status.code, diagnostic=diagnostic) == status
    if reply.isdigit():
        assert zendesk_status(int(reply), enhanced, diagnostic) == status


@pytest.mark.parametrize(
    ("reply", "status", "expected"),
    [
        (550, "5.1.1", 39),
        (552, "5.2.2", 31),  # no exact "552 5.2.2" row: the reply code decides
        (554, "5.3.4", 34),
        (550, None, 29),
        (550, "5.7.1", 29),
        (550, "5.2.2", 31),  # the enhanced code is more specific than 550
        (550, "5.2.1", 40),
        (535, "5.7.8", 26),
        (452, "4.2.2", 31),
        (550, "4.1.1", 39),  # the status takes the class of the reply code
        (556, "5.1.10", 35),
        (421, None, 15),
        (421, "4.7.0", 15),
        (250, None, 5),
        (251, "2.1.5", 5),
        (None, "2.0.0", 5),
        (None, None, 2),
        (599, None, 2),
        (451, "4.3.0", 2),
        (None, "5.9.9", 2),
        ("EC-004", None, 49),
        ("ec-4", None, 49),
        ("EC-099", None, 48),
    ],
)
def test_mapping(reply: int | str | None, status: str | None, expected: int) -> None:
    assert zendesk_status(reply, status).id == expected


def test_552_5_3_4_is_a_message_too_big_unless_the_server_blames_headers() -> None:
    assert zendesk_status(552, "5.3.4").name == "MESSAGE_TOO_BIG"
    gmail = "552-5.3.4 Your message exceeded Google's message size limits."
    assert zendesk_status(552, "5.3.4", gmail).name == "MESSAGE_TOO_BIG"
    exchange = "552 5.3.4 Requested action not taken; header size exceeds fixed maximum size"
    assert zendesk_status(552, "5.3.4", exchange).name == "HEADER_SIZE_EXCEEDS_FIXED_MAXIMUM_SIZE"
    assert zendesk_status(exchange).id == 42  # a whole reply line is its own diagnostic


def test_a_whole_reply_line_can_be_passed_as_the_reply_code() -> None:
    assert zendesk_status("550 5.1.1 <ana@example.com>: Recipient address rejected").id == 39
    assert zendesk_status("552 5.3.4 Message size exceeds fixed maximum message size").id == 34


def test_api_name_is_lower_case() -> None:
    assert zendesk_status(550, "5.1.1").api_name == "user_does_not_exist"
    assert all(status.api_name == status.name.lower() for status in zendesk_statuses())


def test_messages_are_ours_in_both_languages() -> None:
    assert zendesk_status_by_id(39).message() == (
        "The email address does not exist. Check it for typos."
    )
    assert zendesk_status_by_id(39).message("es") == (
        "La dirección de correo no existe. Revisa si tiene errores de escritura."
    )
    for status in zendesk_statuses():
        english, spanish = status.message("en"), status.message("es")
        assert english and spanish and english != spanish
        assert status.message("es-AR") == spanish
        assert status.message("xx") == english


def test_by_id_garbage() -> None:
    assert zendesk_status_by_id(55) is None
    assert zendesk_status_by_id(-1) is None
    assert zendesk_status_by_id("abc") is None
    assert zendesk_status_by_id(True) is None
    assert zendesk_status_by_id(None) is None
    assert zendesk_status_by_id("39").id == 39


def test_every_mapped_reply_code_is_in_the_reference_or_zendesk_specific() -> None:
    # Reply codes Zendesk files on their own are either explained by our reference or
    # are Zendesk's own classifications (505, 517, 520, ...).
    zendesk_only = {"505", "517", "520", "522", "540", "542", "558", "577", "585"}
    for status in zendesk_statuses():
        reply = status.code.partition(" ")[0]
        if len(reply) == 3 and reply.isdigit():
            assert lookup(reply) is not None or reply in zendesk_only, reply
