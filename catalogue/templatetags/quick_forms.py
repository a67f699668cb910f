"""Form parts rendered in Python where Django's templates were the slow part of a page.

``choice_options`` writes the options of a list of checkboxes or radio buttons exactly as
crispy-bootstrap5's ``bootstrap5/layout/radio_checkbox_select.html`` loop does (our copy of
that template calls it): a journey's step form lists every touchpoint of the organisation,
and a template include per option made that list most of the page's time.
"""

from __future__ import annotations

import copy

from django import forms, template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

from ..forms import esc, html_attrs, listed_choices

register = template.Library()


def _errors(field: BoundField) -> str:
    """crispy's ``bootstrap5/layout/field_errors_block.html``."""
    errors = "".join(
        f'<p id="error_{number}_{esc(field.auto_id)}"><strong>{esc(error)}</strong></p>'
        for number, error in enumerate(field.errors, start=1)
    )
    field_id = field.errors.field_id  # type: ignore[attr-defined]
    return f'<div id="{esc(field_id)}_error" class="invalid-feedback">{errors}</div>'


@register.simple_tag(takes_context=True)
def choice_options(context: template.Context, field: BoundField) -> SafeString:
    inline_class = context.get("inline_class")
    invalid = " is-invalid" if field.errors else ""
    check_class = "form-check form-check-inline" if inline_class else "form-check"
    widget = copy.copy(field.field.widget)
    widget.choices = list(listed_choices(widget.choices))  # type: ignore[attr-defined]
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    groups = widget.optgroups(  # type: ignore[attr-defined]
        field.html_name, widget.format_value(field.value()), attrs
    )
    name = esc(field.html_name)
    parts: list[str] = []
    for group_number, (group, options, _) in enumerate(groups, start=1):
        if group:
            parts.append(f"<strong>{esc(group)}</strong>")
        for option_number, option in enumerate(options, start=1):
            last = option_number == len(options) and group_number == len(groups)
            errors = (
                _errors(field)
                if field.errors and last and not inline_class and context.get("form_show_errors")
                else ""
            )
            parts.append(
                f'<div class="{check_class}"><input type="{esc(option["type"])}" '
                f'class="form-check-input{invalid}" name="{name}" value="{esc(option["value"])}"'
                f'{html_attrs(option["attrs"])}><label for="{esc(option["attrs"].get("id", ""))}" '
                f'class="form-check-label">{esc(option["label"])}</label>{errors}</div>'
            )
    return mark_safe("".join(parts))  # every value above went through esc()


@register.simple_tag
def unbound_fields(form: forms.BaseForm) -> SafeString:
    """An unbound form's fields as ``{% crispy form %}`` renders them with crispy-bootstrap5
    (whitespace between tags aside), for a text box, a select and a list of checkboxes: a
    form shown on every visit of a page (a journey's "Add a step") spent 6 ms in crispy's
    templates. A form sent back with its errors is rendered by crispy itself."""
    if form.is_bound:
        raise ValueError("unbound_fields is for unbound forms; render a bound one with crispy")
    parts = []
    for field in form:
        widget = field.field.widget
        label = esc(field.label)
        if field.use_fieldset:
            described = field.aria_describedby
            described = f' aria-describedby="{esc(described)}"' if described else ""
            legend_for = f'for="{esc(field.id_for_label)}" ' if field.id_for_label else ""
            inner = (
                f"<fieldset{described}><legend {legend_for}"
                f'class="form-label{_required_class(field)} fs-6"> {label}{_asterisk(field)} '
                f"</legend><div >{choice_options(template.Context({}), field)}</div>"
                f"{_help(field)}</fieldset>"
            )
        else:
            # crispy's crispy_field: the widget's class name, then Bootstrap's class.
            name = type(widget).__name__.lower()
            css = widget.attrs.get("class", "")
            css = (css if name in css else f"{css} {name}") if css else name
            bootstrap = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if bootstrap not in css.split():
                css = f"{css} {bootstrap}"
            widget.attrs["class"] = css
            inner = (
                f'<label for="{esc(field.id_for_label)}" class="form-label'
                f'{_required_class(field)}"> {label}{_asterisk(field)} </label>'
                f"{field}{_help(field)}"
            )
        parts.append(f'<div id="div_{esc(field.auto_id)}" class="mb-3">{inner}</div>')
    return mark_safe("".join(parts))  # values through esc(); widgets and help as crispy has them


def _required_class(field: BoundField) -> str:
    return " requiredField" if field.field.required else ""


def _asterisk(field: BoundField) -> str:
    return '<span class="asteriskField">*</span>' if field.field.required else ""


def _help(field: BoundField) -> str:
    """crispy's help_text.html: the help text as it is written (``|safe``)."""
    if not field.help_text:
        return ""
    return f'<div id="{esc(field.auto_id)}_helptext" class="form-text">{field.help_text}</div>'
