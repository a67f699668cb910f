"""The to-do list's form fields, rendered in Python, are what the template loop they replace
rendered (whitespace aside), with and without errors; QuickTextarea is Django's textarea."""

from __future__ import annotations

import pytest
from django import forms
from django.template import engines

from assessments.forms import AssessmentForm
from assessments.templatetags.assessment_rows import assessment_fields
from catalogue.forms import QuickTextarea
from tests.catalogue.test_quick_select import _Shape

# The loop as it was in templates/assessments/rounds/_assessment_row.html.
LOOP = """{% for field in form %}
<div class="col-12 {% if field.name == 'comment' %}col-md-4{% elif field.name == 'preferred' %}col-md-2{% else %}col-md-3{% endif %}">
  <label class="form-label small mb-1" for="{{ field.id_for_label }}">{{ field.label }}<span class="visually-hidden"> of {{ e.name }}</span></label>
  {{ field }}
  {% if field.errors %}<div class="invalid-feedback d-block" id="{{ field.id_for_label }}-error">{{ field.errors|join:" " }}</div>{% endif %}
  {% if field.help_text %}<span class="visually-hidden" id="{{ field.id_for_label }}_helptext">{{ field.help_text }}</span>{% endif %}
</div>
{% endfor %}"""


def _shape(html: str) -> list[object]:
    shape = _Shape()
    shape.feed(html)
    return shape.items


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"fit": "2", "pace": "-1", "preferred": "common", "comment": "Fine <b>&</b>\nreally"},
        {"fit": "9", "pace": "", "preferred": "nope", "comment": "x" * 5001},
    ],
)
def test_the_fields_render_as_the_template_did(data) -> None:  # type: ignore[no-untyped-def]
    form = AssessmentForm(data, prefix="e-payments", initial={"fit": 1})
    form.is_valid()
    name = "Payments <&> “quoted”"
    theirs = engines["django"].from_string(LOOP).render({"form": form, "e": {"name": name}})
    ours = assessment_fields(form, name)
    assert _shape(ours) == _shape(theirs)
    assert ("invalid-feedback" in ours) == bool(data and form.errors)


@pytest.mark.parametrize("value", ["", "Some <text> & “more”", "\nstarts with a line"])
def test_quick_textarea_renders_as_django_does(value: str) -> None:
    class Form(forms.Form):
        plain = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
        quick = forms.CharField(required=False, widget=QuickTextarea(attrs={"rows": 2}))

    form = Form(data={"plain": value, "quick": value})
    form.is_valid()
    plain, quick = str(form["plain"]), str(form["quick"])
    assert quick == plain.replace("plain", "quick")
