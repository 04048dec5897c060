"""`zendesk_status_of`: the row of an id the code knows is in Zendesk's table."""

from __future__ import annotations

import pytest

from buzon.smtpcodes.zendesk import zendesk_status_of


def test_a_known_id_gives_its_row():
    assert zendesk_status_of(5).name == "DELIVERED"
    assert zendesk_status_of(1).name == "UNRECOGNIZED_INTERNAL_ERROR"
    assert zendesk_status_of(2).name == "UNRECOGNIZED_EXTERNAL_ERROR"


def test_an_id_outside_the_table_raises():
    with pytest.raises(KeyError):
        zendesk_status_of(55)
