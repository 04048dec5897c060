"""The audit log is append-only: neither the ORM nor the admin can change it."""

import pytest

from buzon.tickets.models import AppendOnlyError, Audit, AuditEvent, Notification


def test_an_audit_cannot_be_changed_or_deleted_through_the_models(ticket):
    audit = ticket.audits.first()
    audit.via = "api"
    with pytest.raises(AppendOnlyError):
        audit.save()
    with pytest.raises(AppendOnlyError):
        audit.delete()
    with pytest.raises(AppendOnlyError):
        Audit.objects.filter(pk=audit.pk).update(via="api")
    with pytest.raises(AppendOnlyError):
        Audit.objects.all().delete()


def test_events_and_notifications_cannot_be_changed_or_deleted(ticket):
    event = AuditEvent.objects.filter(audit__ticket=ticket).first()
    event.value = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(value="x")
    with pytest.raises(AppendOnlyError):
        Notification.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).value != "tampered"


def test_the_admin_shows_audits_read_only(admin_client, ticket):
    audit = ticket.audits.first()
    page = admin_client.get(f"/admin/tickets/audit/{audit.pk}/change/")
    assert page.status_code == 200
    assert b'name="via"' not in page.content  # no editable field
    assert b"Save" not in page.content
    posted = admin_client.post(f"/admin/tickets/audit/{audit.pk}/change/", {"via": "api"})
    assert posted.status_code == 403
    deleted = admin_client.post(f"/admin/tickets/audit/{audit.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert admin_client.get("/admin/tickets/audit/add/").status_code == 403
    assert Audit.objects.get(pk=audit.pk).via == "web"


def test_agents_are_not_admin_staff(client, agent):
    client.force_login(agent)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
