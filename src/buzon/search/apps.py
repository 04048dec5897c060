from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "buzon.search"
    verbose_name = "Search"
