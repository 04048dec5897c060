"""Replying from the ticket page: public replies go to the current addresses."""

import pytest
from django.utils import translation

from buzon.tickets.models import (
    Comment,
    DeliverableState,
    Notification,
    NotificationRecipient,
    UserIdentity,
)
from buzon.workspace import choice_html, identities
from buzon.workspace.forms import ReplyForm


def reply(client, ticket, **data):
    return client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "public", "status": "", **data}
    )


def test_the_composer_shows_to_whom_a_public_reply_goes(agent_client, ticket):
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    to_line = html[html.index('class="to-line"') : html.index('class="to-line internal-note"')]
    for email in ("ana@example.com", "carla@example.com", "diego@example.net"):
        assert email in to_line


def test_a_public_reply_adds_a_comment_and_emails_requester_and_ccs(agent_client, ticket):
    response = reply(agent_client, ticket, body="Ya está resuelto.")
    assert response.status_code == 302
    comment = Comment.objects.filter(ticket=ticket).latest("id")
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.public and comment.body == "Ya está resuelto."
    note = Notification.objects.get(comment=comment)
    assert sorted(note.recipients.values_list("email", flat=True)) == [
        "ana@example.com",
        "carla@example.com",
        "diego@example.net",
    ]


def test_an_internal_note_emails_no_end_user(agent_client, ticket):
    reply(agent_client, ticket, body="Solo para agentes", visibility="internal")
    comment = Comment.objects.filter(ticket=ticket).latest("id")
    assert not comment.public
    assert not NotificationRecipient.objects.filter(
        notification__comment=comment, user__role="end-user"
    ).exists()


def test_the_reply_can_change_the_status(agent_client, ticket):
    reply(agent_client, ticket, body="Listo", status="solved")
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_an_empty_reply_is_refused(agent_client, ticket):
    response = reply(agent_client, ticket, body="   ")
    assert response.status_code == 200
    assert Comment.objects.filter(ticket=ticket).count() == 1


def test_correcting_an_address_then_replying_sends_to_the_new_address(
    agent_client, ticket, requester
):
    identity = UserIdentity.objects.get(user=requester, primary=True)
    identities.change_address(identity, "ana.garcia@example.com")
    reply(agent_client, ticket, body="Reenviado")
    comment = Comment.objects.filter(ticket=ticket).latest("id")
    emails = set(
        NotificationRecipient.objects.filter(notification__comment=comment).values_list(
            "email", flat=True
        )
    )
    assert "ana.garcia@example.com" in emails and "ana@example.com" not in emails


def test_replying_to_an_undeliverable_address_warns_first(agent_client, ticket, requester):
    UserIdentity.objects.filter(user=requester).update(
        deliverable_state=DeliverableState.UNDELIVERABLE
    )
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "currently undeliverable" in page
    response = reply(agent_client, ticket, body="¿Hola?")
    assert response.status_code == 409
    assert Comment.objects.filter(ticket=ticket).count() == 1
    assert "Send anyway" in response.content.decode()
    response = reply(agent_client, ticket, body="¿Hola?", send_anyway="on")
    assert response.status_code == 302
    assert Comment.objects.filter(ticket=ticket).count() == 2


def test_an_internal_note_is_not_blocked_by_undeliverable_addresses(
    agent_client, ticket, requester
):
    UserIdentity.objects.filter(user=requester).update(
        deliverable_state=DeliverableState.UNDELIVERABLE
    )
    response = reply(agent_client, ticket, body="nota", visibility="internal")
    assert response.status_code == 302


def test_the_composer_flags_a_mistyped_domain(agent_client, ticket, requester):
    identities.change_address(UserIdentity.objects.get(user=requester), "ana@gmial.com")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "did you mean ana@gmail.com?" in html


def django_radio_labels(field, label_class):
    return "".join(
        f'<label class="{label_class} {label_class}-{choice.data["value"]}">'
        f"{choice.tag()} {choice.choice_label}</label>"
        for choice in field
    )


COMPOSER_POSTS = [
    None,
    {"visibility": "internal", "status": "pending", "body": "x"},
    {"visibility": "public", "status": "", "body": ""},
    {"body": "no kind, no status"},
    {"visibility": "bogus", "status": "closed", "body": "x"},
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("data", COMPOSER_POSTS)
def test_the_composers_choices_are_written_as_djangos_widgets_write_them(language, data):
    with translation.override(language):
        form = ReplyForm(data)
        if data is not None:
            form.is_valid()
        assert choice_html.radio_labels(form["visibility"], "vis") == django_radio_labels(
            form["visibility"], "vis"
        )
        assert choice_html.select(form["status"]) == str(form["status"])


def test_a_refused_reply_keeps_the_chosen_kind_and_status(agent_client, ticket):
    response = reply(agent_client, ticket, visibility="internal", status="pending", body=" ")
    html = response.content.decode()
    assert '<input type="radio" name="visibility" value="internal" id="id_visibility_1"' in html
    assert 'value="internal" id="id_visibility_1" required checked>' in html
    assert '<option value="pending" selected>Pending</option>' in html
    assert '<option value="" selected>' not in html
