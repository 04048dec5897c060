"""The composer's choice fields (kind of comment, status) written in Python.

Django renders each radio button and each `<select>` through its widget templates
(a template per option, with their contexts), which cost about a twentieth of the
ticket page's time. These functions write the same markup as Django's `RadioSelect`
and `Select` widgets, character for character, for a field without errors; a field
with errors (a forged post) is left to Django, which adds `aria-invalid` and
`aria-describedby` (tests/workspace/test_composer.py compares both).
"""

from __future__ import annotations

from html import escape as _html_escape

from django import forms
from django.utils.safestring import SafeString, mark_safe


def escape(value: object) -> str:
    return _html_escape(str(value))


def _chosen(field: forms.BoundField) -> str:
    value = field.value()
    return "" if value is None else str(value)


def _choices(field: forms.BoundField) -> list[tuple[str, str]]:
    choices = getattr(field.field, "choices", [])
    return [(str(value), str(label)) for value, label in choices]


def radio_labels(field: forms.BoundField, label_class: str) -> SafeString:
    """`<label class="{label_class} {label_class}-{value}"><input type="radio" …> Label</label>`
    for each choice, as `{% for choice in field %}` with `{{ choice.tag }}` writes them."""
    if field.errors or field.field.widget.attrs:
        return mark_safe(
            "".join(
                f'<label class="{label_class} {label_class}-{escape(choice.data["value"])}">'
                f"{choice.tag()} {escape(choice.choice_label)}</label>"
                for choice in field
            )
        )
    chosen, name, required = _chosen(field), escape(field.html_name), field.field.required
    html = []
    for index, (value, label) in enumerate(_choices(field)):
        attrs = f' id="{escape(field.auto_id)}_{index}"' if field.auto_id else ""
        attrs += " required" if required else ""
        attrs += " checked" if value == chosen else ""
        html.append(
            f'<label class="{label_class} {label_class}-{escape(value)}">'
            f'<input type="radio" name="{name}" value="{escape(value)}"{attrs}>'
            f" {escape(label)}</label>"
        )
    return mark_safe("".join(html))


def select(field: forms.BoundField) -> SafeString:
    """The field's `<select>`, as `{{ field }}` writes it for a `Select` widget."""
    if field.errors or field.field.required or field.field.widget.attrs:
        return field.as_widget()
    chosen, name = _chosen(field), escape(field.html_name)
    id_attr = f' id="{escape(field.auto_id)}"' if field.auto_id else ""
    options = "".join(
        f'  <option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(label)}</option>\n\n"
        for value, label in _choices(field)
    )
    return mark_safe(f'<select name="{name}"{id_attr}>\n{options}</select>')
