"""Counts are exact up to a limit and estimated above it (PostgreSQL's planner);
SQLite has nothing to estimate from and counts in full."""

from __future__ import annotations

import pytest
from django.db import connection

from buzon.search import bounded_count, compile_tickets, search
from buzon.search import results as search_results
from buzon.tickets.models import Via
from buzon.tickets.services import CommentInput, create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_invoices(agent, requester):
    return [
        create_ticket(
            actor=requester,
            via=Via.EMAIL,
            fields={"subject": f"Factura {n}"},
            comment=CommentInput(body="Adjunto la factura."),
        )
        for n in range(5)
    ]


def test_up_to_the_limit_the_count_is_exact(five_invoices, agent):
    counted = bounded_count(compile_tickets("factura", user=agent), limit=5)
    assert (counted.value, counted.exact) == (5, True)
    assert bounded_count(compile_tickets("nada", user=agent), limit=5).value == 0


def test_above_the_limit_the_count_is_estimated_never_below_it(five_invoices, agent):
    counted = bounded_count(compile_tickets("factura", user=agent), limit=3)
    if connection.vendor == "postgresql":
        assert not counted.exact
        assert counted.value >= 4
    else:
        assert (counted.value, counted.exact) == (5, True)


def test_search_results_count_with_the_bound(five_invoices, agent, monkeypatch):
    monkeypatch.setattr(search_results, "COUNT_LIMIT", 3)
    result = search("factura", user=agent)
    assert result.ticket_count >= 4
    assert result.ticket_counted.exact == (connection.vendor != "postgresql")
    monkeypatch.setattr(search_results, "COUNT_LIMIT", 10)
    exact = search("factura", user=agent)
    assert (exact.ticket_count, exact.ticket_counted.exact) == (5, True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="estimates are PostgreSQL's")
def test_the_workspace_says_about_when_it_estimates(five_invoices, agent, client, monkeypatch):
    monkeypatch.setattr(search_results, "COUNT_LIMIT", 3)
    client.force_login(agent)
    page = client.get("/search/?q=factura").content.decode()
    assert "About " in page and " tickets" in page
    monkeypatch.setattr(search_results, "COUNT_LIMIT", 10)
    assert "5 tickets" in client.get("/search/?q=factura").content.decode()
