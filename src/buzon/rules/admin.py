from django.contrib import admin

from buzon.rules.models import Trigger, View


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ["title", "active", "position", "updated_at", "template_warnings"]
    list_editable = ["active", "position"]
    readonly_fields = ["template_warnings"]
    fieldsets = [
        (None, {"fields": ["title", "description", "active", "position"]}),
        ("Conditions and actions (Zendesk JSON)", {"fields": ["conditions", "actions"]}),
        (
            "Placeholders that render empty",
            {
                "fields": ["template_warnings"],
                "description": "Placeholders used in this trigger's emails that Buzón does "
                "not provide. They render as empty text.",
            },
        ),
    ]


@admin.register(View)
class ViewAdmin(admin.ModelAdmin):
    list_display = ["title", "active", "position", "sort_by", "sort_order"]
    list_editable = ["active", "position"]
