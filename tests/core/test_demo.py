"""Demo data gives a newcomer agents to sign in as and tickets to look at."""

from django.contrib.auth import authenticate
from django.core.management import call_command

from buzon.core.demo import DEMO_PASSWORD
from buzon.tickets.models import Comment, Notification, Ticket, User


def test_demo_data_has_agents_with_the_printed_password_and_tickets(db, capsys):
    call_command("load_demo")
    assert "buzon-demo" in capsys.readouterr().out
    assert authenticate(email="agent@helpdesk.test", password=DEMO_PASSWORD).is_agent
    assert User.objects.filter(email="nadie@invalid.example").exists()
    assert User.objects.filter(email__endswith="@gmial.com").exists()
    assert Ticket.objects.count() >= 4
    assert Comment.objects.filter(public=False).exists()
    assert Comment.objects.filter(public=True).exists()
    # Notifications were recorded for the demo's public comments, ready to be sent.
    emails = {r.email for n in Notification.objects.all() for r in n.recipients.all()}
    assert {"nadie@invalid.example", "pedro@gmial.com", "ana@example.com"} <= emails
    assert {"rebota@example.org", "retrasa@example.net"} <= emails  # bounced / delayed later
