from django.db import migrations

from buzon.rules.models import DEFAULT_COLUMNS
from buzon.rules.standard import STANDARD_TRIGGERS, STANDARD_VIEWS


def create_standard_rules(apps, schema_editor):
    Trigger = apps.get_model("rules", "Trigger")
    View = apps.get_model("rules", "View")
    for position, spec in enumerate(STANDARD_TRIGGERS, start=1):
        Trigger.objects.create(position=position, **spec)
    for position, spec in enumerate(STANDARD_VIEWS, start=1):
        View.objects.create(
            position=position,
            title=spec["title"],
            conditions=spec["conditions"],
            columns=spec.get("columns", DEFAULT_COLUMNS),
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]

    operations = [migrations.RunPython(create_standard_rules, migrations.RunPython.noop)]
