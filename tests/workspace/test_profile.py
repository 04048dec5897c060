"""The end-user profile: identities, deliverability, fixes."""

from buzon.tickets.models import DeliverableState, User, UserIdentity


def test_the_profile_lists_identities_with_their_state(agent_client, requester):
    UserIdentity.objects.filter(user=requester).update(
        deliverable_state=DeliverableState.UNDELIVERABLE, undeliverable_count=3
    )
    html = agent_client.get(f"/users/{requester.pk}/").content.decode()
    assert "ana@example.com" in html
    assert "Undeliverable" in html and ">3<" in html
    assert "Mark as deliverable" in html


def test_the_profile_suggests_a_fix_for_a_mistyped_domain(agent_client, db):
    pedro = User.objects.create_user("pedro@gmial.com", "Pedro")
    html = agent_client.get(f"/users/{pedro.pk}/").content.decode()
    assert "Did you mean <strong>pedro@gmail.com</strong>?" in html
    assert 'value="pedro@gmail.com"' in html


def test_editing_the_primary_address_updates_the_user(agent_client, db):
    pedro = User.objects.create_user("pedro@gmial.com", "Pedro")
    identity = pedro.identities.get()
    UserIdentity.objects.filter(pk=identity.pk).update(
        deliverable_state=DeliverableState.UNDELIVERABLE, undeliverable_count=2
    )
    response = agent_client.post(
        f"/users/{pedro.pk}/identities/{identity.pk}/edit/", {"address": "pedro@gmail.com"}
    )
    assert response.status_code == 302
    pedro.refresh_from_db()
    identity.refresh_from_db()
    assert pedro.email == identity.value == "pedro@gmail.com"
    assert identity.deliverable_state == DeliverableState.DELIVERABLE
    assert identity.undeliverable_count == 0


def test_an_address_of_someone_else_is_refused(agent_client, requester, cc_users):
    identity = requester.identities.get()
    agent_client.post(
        f"/users/{requester.pk}/identities/{identity.pk}/edit/",
        {"address": cc_users[0].email},
    )
    requester.refresh_from_db()
    assert requester.email == "ana@example.com"
    response = agent_client.get(f"/users/{requester.pk}/")
    assert "already has the address" in response.content.decode()


def test_an_invalid_address_is_refused(agent_client, requester):
    identity = requester.identities.get()
    agent_client.post(
        f"/users/{requester.pk}/identities/{identity.pk}/edit/", {"address": "not an address"}
    )
    identity.refresh_from_db()
    assert identity.value == "ana@example.com"


def test_add_and_make_primary(agent_client, requester):
    response = agent_client.post(
        f"/users/{requester.pk}/identities/", {"address": "ana@work.example"}
    )
    assert response.status_code == 302
    added = UserIdentity.objects.get(value="ana@work.example")
    assert not added.primary
    agent_client.post(f"/users/{requester.pk}/identities/{added.pk}/primary/")
    requester.refresh_from_db()
    added.refresh_from_db()
    assert added.primary and requester.email == "ana@work.example"
    assert UserIdentity.objects.filter(user=requester, primary=True).count() == 1


def test_adding_a_taken_address_is_a_400(agent_client, requester, cc_users):
    response = agent_client.post(
        f"/users/{requester.pk}/identities/", {"address": cc_users[0].email}
    )
    assert response.status_code == 400


def test_mark_as_deliverable(agent_client, requester):
    identity = requester.identities.get()
    UserIdentity.objects.filter(pk=identity.pk).update(
        deliverable_state=DeliverableState.UNDELIVERABLE, undeliverable_count=10
    )
    response = agent_client.post(f"/users/{requester.pk}/identities/{identity.pk}/deliverable/")
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.deliverable_state == DeliverableState.DELIVERABLE
    assert identity.undeliverable_count == 0


def test_an_identity_of_another_user_is_404(agent_client, requester, cc_users):
    other = cc_users[0].identities.get()
    response = agent_client.post(
        f"/users/{requester.pk}/identities/{other.pk}/edit/", {"address": "x@example.com"}
    )
    assert response.status_code == 404


def test_the_profile_lists_requested_tickets(agent_client, ticket, requester):
    html = agent_client.get(f"/users/{requester.pk}/").content.decode()
    assert f"#{ticket.pk} Factura duplicada" in html


def test_the_failure_history_renders_escaped(agent, rf, requester):
    """The failures table, rendered from rows in the deliveries app's shape."""
    from datetime import UTC, datetime

    from django.template.loader import render_to_string

    from buzon.deliveries.models import Delivery
    from buzon.workspace.deliverydata import with_statuses
    from buzon.workspace.views.people import failure_rows, profile_context

    context = profile_context(requester)
    context["failures"] = failure_rows(with_statuses([
        Delivery(
            failed_at=datetime(2026, 3, 11, tzinfo=UTC), email="ana@example.com", state="failed",
            reason="mailboxfull", diagnostic="<script>alert(1)</script>", reply_code=552,
            enhanced_status="5.2.2", failure_source="dsn", ticket_id=9,
        )
    ]))  # fmt: skip
    request = rf.get("/")
    request.user = agent
    html = render_to_string("workspace/profile.html", context, request=request)
    assert "The mailbox is full" in html and 'href="/codes/5.2.2/"' in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "Bounce report" in html and 'href="/tickets/9/"' in html


def test_a_long_diagnostic_is_cut_a_short_one_kept_whole(requester):
    from datetime import UTC, datetime

    from buzon.deliveries.models import Delivery
    from buzon.workspace.deliverydata import with_statuses
    from buzon.workspace.views.people import SHOWN_WORDS, failure_rows

    def shown(diagnostic: str) -> str:
        delivery = Delivery(
            failed_at=datetime(2026, 3, 11, tzinfo=UTC), email="ana@example.com",
            state="failed", reason="mailboxfull", diagnostic=diagnostic, failure_source="dsn",
        )  # fmt: skip
        (row,) = failure_rows(with_statuses([delivery]))
        return row.server_words

    assert shown("552 mailbox full") == "552 mailbox full"
    cut = shown("552 " + "x" * 500)
    assert len(cut) == SHOWN_WORDS and cut.startswith("552 xx") and cut.endswith("…")


def test_each_address_shows_its_latest_failure_in_any_case(agent_client, ticket, requester):
    """The "Last failure" column: the newest failed copy to the address, whatever the
    case it was sent in; a copy that did not fail does not count."""
    from datetime import UTC, datetime

    from buzon.deliveries.models import Delivery

    ana, older, newest = Delivery.objects.filter(ticket=ticket).order_by("id")
    Delivery.objects.filter(pk=older.pk).update(
        state="failed", email="ana@example.com", failed_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    )
    Delivery.objects.filter(pk=newest.pk).update(
        state="failed", email="ANA@Example.com", failed_at=datetime(2026, 3, 9, 17, 45, tzinfo=UTC)
    )
    Delivery.objects.filter(pk=ana.pk).update(
        state="delivered", failed_at=datetime(2026, 3, 20, tzinfo=UTC)
    )
    html = agent_client.get(f"/users/{requester.pk}/").content.decode()
    row = html.split('data-address="ana@example.com"', 1)[1].split("</tr>", 1)[0]
    assert '<time datetime="2026-03-09T17:45:00+00:00">9 Mar 2026 17:45</time>' in row


def test_a_failure_is_dated_as_the_date_format_writes_it_in_each_language(requester):
    from datetime import UTC, datetime

    from django.utils import timezone, translation
    from django.utils.formats import date_format

    from buzon.deliveries.models import Delivery
    from buzon.workspace.deliverydata import with_statuses
    from buzon.workspace.views.people import failure_rows

    for language in ("en", "es"):
        with translation.override(language):
            for month in range(1, 13):
                at = datetime(2026, month, 3, 7, 5, tzinfo=UTC)
                delivery = Delivery(failed_at=at, email="ana@example.com", state="failed")
                (row,) = failure_rows(with_statuses([delivery]))
                assert row.when == date_format(timezone.localtime(at), "j M Y H:i")
