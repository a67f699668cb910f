"""A team's to-do list rendered in Python: the rows and their assessment forms' fields. Ten
rows of four fields each were most of the page's time as template loops and includes."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
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


@register.simple_tag(takes_context=True)
def assessment_row(context: template.Context, row: Any) -> SafeString:
    """One enabler on a team's to-do list (``row``: a RowView; ``round``, ``team`` and
    ``organisation`` from the page): its name and owner, what the team said or a note, and
    the form while the round is open and the person may assess. Written in Python: ten
    rows a page as a template include each were the largest share of the page's time."""
    enabler, assessment, form = row.enabler, row.assessment, row.form
    key, name = esc(enabler.key), esc(enabler.name)
    owner = enabler.owner_team
    owned_by = (
        f'<a href="{esc(owner.get_absolute_url())}">{esc(owner.name)}</a>'
        if owner is not None
        else "no team"
    )
    used_by = (
        f" · used by {', '.join(esc(o) for o in row.todo.offerings)}" if row.todo.offerings else ""
    )
    badge = (
        '<span class="badge text-bg-success">Assessed</span>'
        if assessment
        else '<span class="badge text-bg-light border">Not assessed yet</span>'
    )
    parts = [
        f'<li class="list-group-item py-3" id="assess-{key}" data-testid="row-{key}">'
        '<div class="d-flex flex-wrap justify-content-between gap-2"><div>'
        f'<h2 class="h6 mb-1" id="enabler-{key}"><a href="{esc(enabler.get_absolute_url())}">'
        f"{name}</a></h2>"
        f'<p class="small text-body-secondary mb-0">Owned by {owned_by}{used_by}</p>'
        f"</div><div>{badge}</div></div>"
    ]
    if assessment:
        comment = (
            '<dt class="col-5 col-md-2">Comment</dt><dd class="col-7 col-md-10 text-break">'
            f"{linebreaksbr(assessment.comment, autoescape=True)}</dd>"
            if assessment.comment
            else ""
        )
        parts.append(
            '<dl class="row small mb-0 mt-2">'
            '<dt class="col-5 col-md-2">Fit</dt>'
            f'<dd class="col-7 col-md-2" data-testid="fit">{esc(row.fit_words)}</dd>'
            '<dt class="col-5 col-md-2">Effect on pace</dt>'
            f'<dd class="col-7 col-md-2">{esc(row.pace_words)}</dd>'
            '<dt class="col-5 col-md-2">Preferred</dt>'
            f'<dd class="col-7 col-md-2">{esc(row.preferred_words)}</dd>'
            f"{comment}</dl>"
        )
    elif not form:
        still = " yet" if context["round"].is_open else ""
        parts.append(f'<p class="small text-body-secondary mb-0 mt-2">No assessment{still}.</p>')
    if row.problem:
        parts.append(
            f'<div class="alert alert-warning small mt-2 mb-0" role="alert">{esc(row.problem)}</div>'
        )
    if form:
        edit_url = esc(
            reverse(
                "assessments:assessment_edit",
                args=[
                    context["organisation"].slug,
                    context["round"].key,
                    context["team"].key,
                    enabler.key,
                ],
            )
        )
        non_field = form.non_field_errors()
        errors = (
            '<div class="col-12"><div class="alert alert-danger small mb-0" role="alert">'
            f"{' '.join(esc(e) for e in non_field)}</div></div>"
            if non_field
            else ""
        )
        saved = '<span class="saved-note small" role="status">Saved</span> ' if row.saved else ""
        parts.append(
            f'<form method="post" action="{edit_url}" hx-post="{edit_url}" '
            f'hx-target="#assess-{key}" hx-swap="outerHTML" '
            'class="row g-2 align-items-start mt-1" novalidate>'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(context["csrf_token"])}">'
            f"{errors}{assessment_fields(form, enabler.name)}"
            '<div class="col-12 d-flex flex-wrap align-items-center gap-2">'
            f'<button type="submit" class="btn btn-sm btn-primary" id="save-{key}">Save'
            f'<span class="visually-hidden"> assessment of {name}</span></button> '
            '<button type="reset" class="btn btn-sm btn-outline-secondary">Undo changes'
            f'<span class="visually-hidden"> to {name}</span></button> '
            f"{saved}"
            '<span class="htmx-indicator small text-body-secondary">Saving…</span>'
            "</div></form>"
        )
    parts.append("</li>")
    return mark_safe("".join(parts))  # every value went through esc() or a safe renderer
