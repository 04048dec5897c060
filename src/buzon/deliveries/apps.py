from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "buzon.deliveries"
    verbose_name = "Email deliveries"
