from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "buzon.tickets"
    verbose_name = "Tickets"
