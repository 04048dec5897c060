"""The Zendesk delivery status of an SMTP answer, and our explanation of it."""

import csv
from pathlib import Path

import pytest

from buzon.deliveries.zendesk_status import MESSAGES, STATUSES, status_message, zendesk_status

REFERENCE = Path("/work/shared/reference/zendesk-delivery-status.tsv")


@pytest.mark.parametrize(
    ("reply_code", "status", "expected"),
    [
        (550, "5.1.1", (39, "USER_DOES_NOT_EXIST", "550 5.1.1")),
        (554, "5.1.1", (39, "USER_DOES_NOT_EXIST", "550 5.1.1")),  # status decides
        (552, "5.2.2", (31, "MAILBOX_FULL", "552")),
        (452, "4.2.2", (2, "UNRECOGNIZED_EXTERNAL_ERROR", "2")),  # no 4xx rows
        (554, "5.3.4", (34, "MESSAGE_TOO_BIG", "554 5.3.4")),
        (552, "5.3.4", (42, "HEADER_SIZE_EXCEEDS_FIXED_MAXIMUM_SIZE", "552 5.3.4")),
        (556, "5.1.10", (35, "DOMAIN_DOES_NOT_ACCEPT_MAIL", "556")),
        (550, "5.7.1", (29, "MAILBOX_UNAVAILABLE", "550")),
        (550, "", (29, "MAILBOX_UNAVAILABLE", "550")),
        (None, "5.1.3", (17, "RECIPIENT_EMAIL_ADDRESS_INVALID", "511")),
        (250, "2.0.0", (5, "DELIVERED", "200")),
        (599, "5.9.9", (2, "UNRECOGNIZED_EXTERNAL_ERROR", "2")),
        (None, "", (2, "UNRECOGNIZED_EXTERNAL_ERROR", "2")),
        ("535", "5.7.139", (45, "AUTHENTICATION_UNSUCCESSFUL", "535 5.7.139")),
    ],
)
def test_an_answer_maps_to_the_most_specific_zendesk_row(reply_code, status, expected):
    assert tuple(zendesk_status(reply_code, status)) == expected


def test_the_table_is_zendesks_and_every_status_has_english_and_spanish_text():
    if REFERENCE.exists():
        with REFERENCE.open() as f:
            rows = {
                int(r["id"]): (r["name"], r["smtp_code"]) for r in csv.DictReader(f, delimiter="\t")
            }
        assert {i: (s.name, s.code) for i, s in STATUSES.items()} == rows
    for status_id, texts in MESSAGES.items():
        assert texts["en"] and texts["es"] and texts["en"] != texts["es"], status_id


def test_status_message_falls_back_to_english_and_to_the_general_row():
    assert status_message(39, "es").startswith("El buzón no existe")
    assert status_message(39, "fr") == status_message(39, "en")
    assert status_message(9999, "en") == status_message(2, "en")
