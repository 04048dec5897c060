from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buzon.core.demo import DEMO_PASSWORD, load_demo
from buzon.tickets.models import Ticket


class Command(BaseCommand):
    help = "Load demo agents, end users and tickets into an empty database."

    def handle(self, *args: Any, **options: Any) -> None:
        if Ticket.objects.exists():
            raise CommandError("the database already has tickets; demo data is for empty ones")
        people = load_demo()
        self.stdout.write(
            f"Loaded demo data: {len(people)} people, {Ticket.objects.count()} tickets. "
            f"Agents sign in with password {DEMO_PASSWORD!r}."
        )
