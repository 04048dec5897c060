"""The standard triggers' emails come in the account's language unless edited."""

from buzon.rules.models import Trigger
from buzon.tickets.models import Notification, Via
from buzon.tickets.services import CommentInput, create_ticket

PROACTIVE = "Notify requester of new proactive ticket"


def _open(agent, requester):
    ticket = create_ticket(
        actor=agent,
        via=Via.WEB,
        fields={"subject": "Factura", "requester_id": requester.pk},
        comment=CommentInput(body="Hola Ana."),
    )
    return Notification.objects.get(ticket=ticket)


def test_an_unedited_standard_email_is_written_in_the_accounts_language(agent, requester, settings):
    settings.LANGUAGE_CODE = "es"
    notification = _open(agent, requester)
    assert notification.trigger_title == PROACTIVE  # stored as shipped
    assert notification.body.startswith("Este ticket se creó en su nombre.")
    assert "Para añadir comentarios, responda a este correo electrónico." in notification.body


def test_an_english_account_gets_the_english_text(agent, requester, settings):
    settings.LANGUAGE_CODE = "en"
    assert _open(agent, requester).body.startswith("This ticket was created on your behalf.")


def test_an_edited_email_stays_as_written(agent, requester, settings):
    settings.LANGUAGE_CODE = "es"
    trigger = Trigger.objects.get(title=PROACTIVE)
    action = trigger.actions[0]
    action["value"][2] = "We opened ticket {{ticket.id}} for you."
    trigger.save()
    notification = _open(agent, requester)
    assert notification.body.startswith("We opened ticket ")
