"""The fields of an assessment form on a team's to-do list, rendered in Python: ten rows of
four fields each were most of the page's time as a template loop."""

from __future__ import annotations

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

from catalogue.forms import esc

register = template.Library()

WIDTH = {"comment": "col-md-4", "preferred": "col-md-2"}


@register.simple_tag
def assessment_fields(form: forms.Form, enabler_name: str) -> SafeString:
    """Each field in a column: its label (naming the enabler for screen readers), the
    control, its errors and its help for screen readers (the form says it in its layout)."""
    parts = []
    for field in form:
        field_id = esc(field.id_for_label)
        errors = (
            f'<div class="invalid-feedback d-block" id="{field_id}-error">'
            f"{esc(' '.join(str(e) for e in field.errors))}</div>"
            if field.errors
            else ""
        )
        help_text = (
            f'<span class="visually-hidden" id="{field_id}_helptext">{esc(field.help_text)}</span>'
            if field.help_text
            else ""
        )
        parts.append(
            f'<div class="col-12 {WIDTH.get(field.name, "col-md-3")}">'
            f'<label class="form-label small mb-1" for="{field_id}">{esc(field.label)}'
            f'<span class="visually-hidden"> of {esc(enabler_name)}</span></label>'
            f"{field}{errors}{help_text}</div>"
        )
    return mark_safe("".join(parts))  # every value went through esc(); {field} is safe HTML
