"""Email addresses unique whatever their case: functional unique indexes on
LOWER(email) and LOWER(value), which `field__lower=…` look-ups use (0003 merged the
case duplicates first)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("tickets", "0003_merge_case_duplicates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="useridentity",
            name="value",
            field=models.CharField(max_length=320),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"), name="unique_user_email_any_case"
            ),
        ),
        migrations.AddConstraint(
            model_name="useridentity",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("value"),
                name="unique_identity_value_any_case",
            ),
        ),
    ]
