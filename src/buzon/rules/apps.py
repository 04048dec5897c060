from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "buzon.rules"
    verbose_name = "Business rules"
