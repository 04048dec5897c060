from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "buzon.core"
    verbose_name = "Buzón"
