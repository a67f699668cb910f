"""Our bootstrap5/layout/radio_checkbox_select.html (its options rendered in Python by
``choice_options``) renders what crispy-bootstrap5's own template renders, whitespace aside."""

from __future__ import annotations

from pathlib import Path

import crispy_bootstrap5
import pytest
from django import forms
from django.template import Context, Engine
from django.template.loader import get_template

from tests.catalogue.test_quick_select import _Shape

CHOICES = [("a", "A <&> “quoted”"), ("b", "B"), ("c", "C")]
GROUPED = [("Group one", [("1", "one"), ("2", "two")]), ("Group two", [("3", "three")])]


def _shape(html: str) -> list[object]:
    shape = _Shape()
    shape.feed(html)
    return shape.items


def _crispy_own() -> object:
    source = Path(crispy_bootstrap5.__file__).parent.joinpath(
        "templates", "bootstrap5", "layout", "radio_checkbox_select.html"
    )
    return Engine.get_default().from_string(source.read_text())


@pytest.mark.parametrize("widget", [forms.CheckboxSelectMultiple, forms.RadioSelect])
@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
@pytest.mark.parametrize("data", [{}, {"pick": ["b"]}, {"pick": ["2", "3"]}])
@pytest.mark.parametrize("inline_class", ["", "inline"])
@pytest.mark.parametrize("required", [True, False])
def test_it_renders_as_crispy_does(widget, choices, data, inline_class, required) -> None:
    multiple = widget is forms.CheckboxSelectMultiple
    field_class = forms.MultipleChoiceField if multiple else forms.ChoiceField

    class Form(forms.Form):
        pick = field_class(choices=choices, widget=widget, required=required, help_text="Help")

    if not multiple and data.get("pick"):
        data = {"pick": data["pick"][0]}
    form = Form(data=data or None)
    form.is_valid()
    context = {
        "field": form["pick"],
        "form_show_errors": True,
        "inline_class": inline_class,
        "field_class": "",
        "flat_attrs": "",
    }
    ours = get_template("bootstrap5/layout/radio_checkbox_select.html").render(context)
    theirs = _crispy_own().render(Context(context))  # type: ignore[attr-defined]

    assert _shape(ours) == _shape(theirs)
    assert "A &lt;&amp;&gt;" in ours or choices is GROUPED
    assert ("invalid-feedback" in ours) == bool(form.errors)
