from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "buzon.domains"
    label = "domains"
    verbose_name = "Sending domains"
    default_auto_field = "django.db.models.BigAutoField"
