"""Encoded ids thread email replies: unique, Zendesk-shaped, unguessable."""

import itertools
import re
from collections import Counter

from buzon.tickets.models import ENCODED_ID_ALPHABET, Ticket, Via, new_encoded_id
from buzon.tickets.services import CommentInput, create_ticket

SHAPE = re.compile(r"^[A-Z2-9]{6}-[A-Z2-9]{4}$")


def test_encoded_ids_have_zendesks_shape_and_are_unique_over_many():
    ids = [new_encoded_id() for _ in range(50_000)]
    assert all(SHAPE.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_encoded_ids_do_not_follow_from_one_another():
    """Consecutive ids share no more symbols in place than chance predicts (10/32)."""
    ids = [new_encoded_id().replace("-", "") for _ in range(2_000)]
    same = sum(a[k] == b[k] for a, b in itertools.pairwise(ids) for k in range(10))
    assert same / (len(ids) - 1) < 0.6  # chance gives 10/32 ≈ 0.31 per pair
    counts = Counter("".join(ids))
    expected = len(ids) * 10 / len(ENCODED_ID_ALPHABET)
    assert set(counts) == set(ENCODED_ID_ALPHABET)
    assert all(abs(c - expected) < expected * 0.25 for c in counts.values())


def test_every_ticket_gets_its_own_encoded_id(agent, requester):
    tickets = [
        create_ticket(
            actor=agent,
            via=Via.WEB,
            fields={"subject": f"t{i}", "requester_id": requester.pk},
            comment=CommentInput(body="x", public=False),
        )
        for i in range(20)
    ]
    codes = {t.encoded_id for t in tickets}
    assert len(codes) == 20
    assert Ticket.objects.filter(encoded_id__in=codes).count() == 20
