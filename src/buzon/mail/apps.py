from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "buzon.mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        from buzon.mail.outbox import on_notification_created
        from buzon.tickets.signals import notification_created

        # The transactional outbox: runs inside the transaction of the ticket change.
        notification_created.connect(on_notification_created, dispatch_uid="buzon.mail.outbox")

        # ESP tracking webhooks (django-anymail) feed the same recording path as DSNs.
        from anymail.signals import tracking

        from buzon.mail.inbound.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="buzon.mail.inbound.webhooks")

        # ESP inbound webhooks (django-anymail) feed the inbound store, like SMTP.
        from anymail.signals import inbound

        from buzon.mail.inbound.esp_inbound import on_inbound

        inbound.connect(on_inbound, dispatch_uid="buzon.mail.inbound.esp_inbound")
