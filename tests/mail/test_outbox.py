"""The transactional outbox: emails and deliveries commit with the comment, and
nothing is sent inside the request."""

import pytest
from django.db import transaction
from mailhelpers import run_worker

from buzon.deliveries.models import Delivery, EmailNotification
from buzon.mail import outbound
from buzon.mail.models import MessageReference
from buzon.rules.models import Trigger
from buzon.rules.standard import FAILURE_TAG
from buzon.tickets.models import Comment, Notification, User, UserIdentity, Via
from buzon.tickets.services import CommentInput, update_ticket


def test_a_comments_emails_and_deliveries_commit_together(ticket, agent, requester, cc_users):
    audit = update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    notification = Notification.objects.get(event__audit=audit)
    email = notification.email
    assert (email.ticket, email.comment.body) == (ticket, "Hola")
    assert email.raw_message and not email.build_error
    assert [(d.email, d.state) for d in email.deliveries.order_by("id")] == [
        (requester.email, "queued"),
        (cc_users[0].email, "queued"),
        (cc_users[1].email, "queued"),
    ]
    assert all(d.recipient.notification_id == notification.pk for d in email.deliveries.all())
    assert MessageReference.objects.get(email_notification=email).message_id == email.message_id


def test_a_rolled_back_change_leaves_no_email_and_no_delivery(ticket, agent):
    before = (Delivery.objects.count(), EmailNotification.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Lost"))
        raise RuntimeError("the request failed after the change")
    assert (Delivery.objects.count(), EmailNotification.objects.count()) == before
    assert not Comment.objects.filter(body="Lost").exists()


def test_a_private_comment_emails_no_end_user(ticket, agent):
    update_ticket(
        ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Nota interna", public=False)
    )
    note = Comment.objects.get(body="Nota interna")
    assert not EmailNotification.objects.filter(comment=note).exists()
    assert not Delivery.objects.filter(email_notification__comment=note).exists()


def test_nothing_is_sent_inside_the_request(ticket, agent, sandbox):
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    assert sandbox.handler.count == 0
    assert set(Delivery.objects.values_list("state", flat=True)) == {"queued"}


def test_an_email_that_cannot_be_built_does_not_lose_the_comment(
    ticket, agent, monkeypatch, sandbox
):
    def broken(draft):
        raise ValueError("boom")

    monkeypatch.setattr(outbound, "build", broken)
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Still here"))
    email = EmailNotification.objects.get(comment__body="Still here")
    assert email.build_error == "ValueError: boom" and email.raw_message == ""
    run_worker(sandbox)
    failed = list(email.deliveries.values_list("state", "failure_source", "zendesk_status_name"))
    assert set(failed) == {("failed", "invalid", "UNRECOGNIZED_INTERNAL_ERROR")}
    # Our fault, not the addresses': they are not counted as undeliverable.
    assert not UserIdentity.objects.filter(undeliverable_count__gt=0).exists()
    assert not any(r.message_id == email.message_id for r in sandbox.handler.received)


def test_a_failure_notice_that_fails_again_is_not_sent_again(ticket, agent, sandbox, requester):
    """A trigger that emails the requester on every system update would loop with a
    dead address: fail → update → email → fail → … Buzón cuts it after one round."""
    User.objects.filter(pk=requester.pk).update(email="llena@example.net")  # 552 5.2.2
    Trigger.objects.create(
        title="Tell the requester about any system update",
        position=0,
        conditions={"all": [{"field": "current_via_id", "operator": "is", "value": "system"}]},
        actions=[{"field": "notification_user", "value": ["requester_id", "Aviso", "Aviso"]}],
    )
    update_ticket(ticket, actor=agent, via=Via.WEB, comment=CommentInput(body="Hola"))
    run_worker(sandbox)
    run_worker(sandbox)
    loop = Delivery.objects.filter(
        recipient__notification__trigger_title="Tell the requester about any system update"
    ).order_by("id")
    # The first failure notice was sent (and failed); the one its failure fired was not.
    assert [d.failure_source for d in loop] == ["smtp", "suppressed"]
    # Nothing was sent, so no server said anything; the workspace words the reason.
    assert (loop.last().reason, loop.last().diagnostic) == ("mailloop", "")
    assert sum(r.rcpt_tos == ["llena@example.net"] for r in sandbox.handler.received) == 0
    assert FAILURE_TAG in ticket.tag_list
    assert Delivery.objects.filter(state__in=["queued", "deferred", "sending"]).count() == 0
