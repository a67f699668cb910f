"""QuickSelect renders what Django's Select template renders (whitespace and the order of
attributes aside)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django import forms

from catalogue.forms import QuickSelect

CHOICES = [("", "None"), ("x", "X <&> “quoted”"), ("Group", [("1", "one"), ("2", "two")])]


class _Shape(HTMLParser):
    """Tags with their attributes as sets, and the text between them, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[object] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append((tag, frozenset(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.items.append(f"/{tag}")

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(data.strip())


def _same_shape(html: str, name: str) -> list[object]:
    shape = _Shape()
    shape.feed(html.replace(f'"{name}"', '"field"').replace(f"id_{name}", "id_field"))
    return shape.items


@pytest.mark.parametrize("value", ["", "x", "2", "not a choice"])
@pytest.mark.parametrize("required", [True, False])
def test_it_renders_as_django_does(value: str, required: bool) -> None:
    class Form(forms.Form):
        plain = forms.ChoiceField(choices=CHOICES, required=required, help_text="Help")
        quick = forms.ChoiceField(
            choices=CHOICES, required=required, help_text="Help", widget=QuickSelect
        )

    form = Form(data={"plain": value, "quick": value})
    form.is_valid()

    assert _same_shape(str(form["quick"]), "quick") == _same_shape(str(form["plain"]), "plain")
    assert "X &lt;&amp;&gt;" in str(form["quick"])


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "delivery", "platform", "gone"])
def test_a_list_of_items_renders_as_django_does_in_one_plain_query(cast, value: str) -> None:
    """A list of the organisation's teams: the same options and selection as Django's own
    widget, read with one SELECT (Django's list reads through a server-side cursor on
    PostgreSQL: DECLARE, FETCH and CLOSE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalogue.models import Team

    teams = Team.objects.for_org(cast.world.org).order_by("name")

    class Form(forms.Form):
        plain = forms.ModelChoiceField(queryset=teams, to_field_name="key", empty_label="Any")
        quick = forms.ModelChoiceField(
            queryset=teams, to_field_name="key", empty_label="Any", widget=QuickSelect
        )

    form = Form(data={"plain": value, "quick": value})
    form.is_valid()
    plain = str(form["plain"])
    with CaptureQueriesContext(connection) as queries:
        quick = str(form["quick"])

    assert _same_shape(quick, "quick") == _same_shape(plain, "plain")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    assert quick.count("<option") == 3
    assert ("selected" in quick) == (value in {"", "delivery", "platform"})


@pytest.mark.parametrize("value", [None, "", "payments", 'x" onmouseover="y <&>'])
def test_a_pick_box_renders_as_djangos_text_input_with_its_list(value) -> None:  # type: ignore[no-untyped-def]
    from django.forms.widgets import Widget

    from catalogue.forms import PickInput

    widget = PickInput(suggest_url="/o/acme/suggest/enablers/", attrs={"class": "form-control"})
    attrs = {"id": "id_enabler", "required": True}
    ours = str(widget.render("enabler", value, attrs))
    # Django's own template for the same widget and context.
    theirs = Widget.render(widget, "enabler", value, attrs)
    assert ours == f'{theirs}<datalist id="id_enabler-options"></datalist>'
