from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "buzon.mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        from buzon.mail.outbox import on_notification_created
        from buzon.tickets.signals import notification_created

        # The transactional outbox: runs inside the transaction of the ticket change.
        notification_created.connect(on_notification_created, dispatch_uid="buzon.mail.outbox")
