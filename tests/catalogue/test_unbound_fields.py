"""``unbound_fields``: an unbound form's fields as ``{% crispy form %}`` renders them."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import engines

from catalogue.forms import StepForm, form_helper
from catalogue.models import Touchpoint
from catalogue.templatetags.quick_forms import unbound_fields

CRISPY = engines["django"].from_string("{% load crispy_forms_tags %}{% crispy form %}")


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _crispy(form: forms.BaseForm) -> str:
    return _plain(CRISPY.render({"form": form}))


@pytest.mark.parametrize("listed", [True, False])
@pytest.mark.parametrize("touchpoints", [0, 1, 3])
def test_the_step_form_is_what_crispy_renders(cast, listed, touchpoints) -> None:  # type: ignore[no-untyped-def]
    org = cast.world.org
    Touchpoint.objects.for_org(org).delete() if touchpoints == 0 else None
    for i in range(touchpoints - 1):
        Touchpoint.objects.create(organisation=org, key=f"tp-{i}", name=f"Desk <{i}> & “more”")

    def form() -> StepForm:
        return StepForm(organisation=org, offerings_listed=listed)

    ours = _plain(unbound_fields(form()))
    assert ours == _crispy(form())
    assert ours.count('type="checkbox"') == touchpoints
    assert ("<select" in ours) == listed


class _Mixed(forms.Form):
    title = forms.CharField(max_length=20, help_text="A <b>short</b> title")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    size = forms.ChoiceField(choices=[("s", "Small"), ("l", "Large <&>")], required=False)
    tags = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


def test_other_widgets_render_as_crispy_does() -> None:
    assert _plain(unbound_fields(_Mixed(prefix="m"))) == _crispy(_Mixed(prefix="m"))


def test_a_bound_form_is_left_to_crispy() -> None:
    with pytest.raises(ValueError, match="unbound"):
        unbound_fields(_Mixed(data={}))
