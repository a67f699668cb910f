"""Assessment rounds and each team's to-do list, with the assessment saved in place (htmx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from catalogue.access import get_object_for_user, require
from catalogue.models import Classification, Enabler, Membership, Team
from catalogue.permissions import can, team_ids
from catalogue.views.base import form_data, org_crumbs, org_view

from .. import selectors, services
from ..forms import FIT_CHOICES, PACE_CHOICES, AssessmentForm, RoundForm
from ..models import Assessment, AssessmentRound
from ..selectors import TodoRow

FIT_WORDS = dict(FIT_CHOICES)
PACE_WORDS = dict(PACE_CHOICES)
CLASSIFICATION_WORDS = dict(Classification.choices)
CLOSED = "This round is closed: its assessments can no longer change."


def _crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(
        request, ("Assessments", reverse("assessments:round_list", args=[org.slug])), *extra
    )


def _round_crumbs(
    request: HttpRequest, assessment_round: AssessmentRound, *extra: tuple[str, str]
) -> list[tuple[str, str]]:
    return _crumbs(request, (assessment_round.name, assessment_round.get_absolute_url()), *extra)


def _get_round(membership: Membership, key: str, *, need: str = "org.view") -> AssessmentRound:
    return get_object_for_user(membership, AssessmentRound.objects.all(), need=need, key=key)


# --- rounds ------------------------------------------------------------------------------------


@org_view()
def round_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = request.organisation  # type: ignore[attr-defined]
    rounds = selectors.rounds_for_list(organisation=organisation)
    current = next((r for r in rounds if r.is_open), None)
    return render(
        request,
        "assessments/rounds/round_list.html",
        {
            "rounds": rounds,
            "current": current,
            "my_teams": selectors.member_teams(
                organisation=organisation, team_ids=team_ids(membership)
            )
            if current
            else [],
            "can_manage": can(membership, "round.manage"),
            "crumbs": _crumbs(request)[:-1] + [("Assessments", "")],
        },
    )


@org_view(need="round.manage")
def round_open(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = RoundForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            assessment_round = services.round_open(
                organisation=organisation,
                name=form.cleaned_data["name"],
                due_on=form.cleaned_data["due_on"],
                actor=request.user,
            )
        except services.RoundError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Round “{assessment_round.name}” is open: each team can now assess "
                "the enablers it uses.",
            )
            return redirect(assessment_round.get_absolute_url())
    return render(
        request,
        "assessments/rounds/round_form.html",
        {
            "form": form,
            "title": "Open an assessment round",
            "submit": "Open the round",
            "current": selectors.open_round(organisation=organisation),
            "cancel_url": reverse("assessments:round_list", args=[organisation.slug]),
            "crumbs": _crumbs(request, ("Open a round", "")),
        },
        status=400 if form.is_bound else 200,
    )


@org_view()
def round_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = request.organisation  # type: ignore[attr-defined]
    assessment_round = _get_round(membership, key)
    context: dict[str, Any] = {
        "round": assessment_round,
        "can_manage": can(membership, "round.manage"),
        "crumbs": _crumbs(request, (assessment_round.name, "")),
    }
    if can(membership, "round.completion"):
        overall, per_team = selectors.round_completion(
            organisation=organisation, assessment_round=assessment_round
        )
        context.update(overall=overall, per_team=per_team)
    else:
        mine = team_ids(membership)
        teams = selectors.round_teams(organisation=organisation)
        # The member's own teams first (they may assess for them); every list is readable.
        context.update(
            my_teams=selectors.member_teams(organisation=organisation, team_ids=mine),
            other_teams=[t for t in teams if t.pk not in mine],
        )
    return render(request, "assessments/rounds/round_detail.html", context)


@org_view(need="round.manage")
def round_edit(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    assessment_round = _get_round(membership, key, need="round.manage")
    if not assessment_round.is_open:
        messages.info(request, "This round is closed: it is kept as it was and cannot change.")
        return redirect(assessment_round.get_absolute_url())
    form = RoundForm(
        form_data(request),
        initial={"name": assessment_round.name, "due_on": assessment_round.due_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(
                assessment_round=assessment_round,
                name=form.cleaned_data["name"],
                due_on=form.cleaned_data["due_on"],
                actor=request.user,
            )
        except services.RoundError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Round “{assessment_round.name}” saved.")
            return redirect(assessment_round.get_absolute_url())
    return render(
        request,
        "assessments/rounds/round_form.html",
        {
            "form": form,
            "round": assessment_round,
            "title": f"Change {assessment_round.name}",
            "submit": "Save",
            "cancel_url": assessment_round.get_absolute_url(),
            "crumbs": _round_crumbs(request, assessment_round, ("Change", "")),
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="round.manage")
def round_close(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = request.organisation  # type: ignore[attr-defined]
    assessment_round = _get_round(membership, key, need="round.manage")
    if not assessment_round.is_open:
        messages.info(request, "This round is already closed.")
        return redirect(assessment_round.get_absolute_url())
    if request.method == "POST":
        try:
            services.round_close(assessment_round=assessment_round, actor=request.user)
        except services.RoundError as error:  # closed by someone else a moment ago
            messages.info(request, str(error))
        else:
            messages.success(
                request,
                f"Round “{assessment_round.name}” closed; its assessments are kept as they are.",
            )
        return redirect(assessment_round.get_absolute_url())
    overall, _ = selectors.round_completion(
        organisation=organisation, assessment_round=assessment_round
    )
    return render(
        request,
        "assessments/rounds/round_close.html",
        {
            "round": assessment_round,
            "overall": overall,
            "crumbs": _round_crumbs(request, assessment_round, ("Close", "")),
        },
    )


# --- a team's to-do list -----------------------------------------------------------------------


@dataclass
class RowView:
    """One line of a team's to-do list as the page shows it."""

    todo: TodoRow
    form: AssessmentForm | None = None
    saved: bool = False
    problem: str = ""

    @property
    def enabler(self) -> Enabler:
        return self.todo.enabler

    @property
    def assessment(self) -> Assessment | None:
        return self.todo.assessment

    @property
    def fit_words(self) -> str:
        return FIT_WORDS.get(self.assessment.fit, "") if self.assessment else ""

    @property
    def pace_words(self) -> str:
        return PACE_WORDS.get(self.assessment.pace, "") if self.assessment else ""

    @property
    def preferred_words(self) -> str:
        if self.assessment is None or not self.assessment.preferred:
            return "no preference"
        return str(CLASSIFICATION_WORDS.get(self.assessment.preferred, self.assessment.preferred))


def _assessment_form(todo: TodoRow, data: Any = None) -> AssessmentForm:
    """The row's form: fields prefixed with the enabler's key, so every row's ids differ."""
    assessment = todo.assessment
    initial = (
        {
            "fit": assessment.fit,
            "pace": assessment.pace,
            "preferred": assessment.preferred,
            "comment": assessment.comment,
        }
        if assessment
        else {}
    )
    form = AssessmentForm(data, prefix=todo.enabler.key, initial=initial)
    if assessment is None:
        # Nothing preselected: a rushed "Save" must not record "1 · gets in our way".
        form.fields["fit"].choices = [("", "Choose…"), *FIT_CHOICES]  # type: ignore[attr-defined]
        form.fields["pace"].choices = [("", "Choose…"), *PACE_CHOICES]  # type: ignore[attr-defined]
    for name, field in form.fields.items():
        attrs = field.widget.attrs
        attrs["class"] = "form-control form-control-sm" if name == "comment" else "form-select"
        if name != "comment":
            attrs["class"] += " form-select-sm"
        if form.is_bound and name in form.errors:
            attrs["class"] += " is-invalid"
            attrs["aria-invalid"] = "true"
            described = f"{form[name].id_for_label}-error"
            if field.help_text:
                described += f" {form[name].id_for_label}_helptext"
            attrs["aria-describedby"] = described
    return form


def _editable(membership: Membership, assessment_round: AssessmentRound, team: Team) -> bool:
    return assessment_round.is_open and can(membership, "assessment.edit", team)


def _team_page(
    request: HttpRequest,
    assessment_round: AssessmentRound,
    team: Team,
    *,
    bound: RowView | None = None,
    status: int = 200,
) -> HttpResponse:
    """The team's list, a page at a time: each row of an open round carries a form, so the
    whole list of a large team would be megabytes. A form sent back with errors shows on
    its own page."""
    membership = request.membership  # type: ignore[attr-defined]
    organisation = request.organisation  # type: ignore[attr-defined]
    number: Any = request.GET.get("page")
    if bound is not None:
        number = selectors.team_todo_page_of(
            organisation=organisation, team=team, enabler=bound.enabler
        )
    todo = selectors.team_todo_page(
        organisation=organisation, assessment_round=assessment_round, team=team, number=number
    )
    editable = _editable(membership, assessment_round, team)
    rows = []
    for row in todo.rows:
        if bound is not None and bound.enabler.pk == row.enabler.pk:
            rows.append(bound)  # the submitted form, with its errors
        else:
            rows.append(RowView(row, form=_assessment_form(row) if editable else None))
    return render(
        request,
        "assessments/rounds/round_team.html",
        {
            "round": assessment_round,
            "team": team,
            "rows": rows,
            "page": todo.page,
            "query": "",
            "assessed": todo.assessed,
            "total": todo.total,
            "editable": editable,
            # Shown only to those who may not edit: read only then.
            "in_team": lambda: team.pk in team_ids(membership),
            "crumbs": _round_crumbs(request, assessment_round, (team.name, "")),
        },
        status=status,
    )


@org_view()
def round_team(request: HttpRequest, key: str, team: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    assessment_round = _get_round(membership, key)
    the_team = get_object_for_user(membership, Team.objects.all(), key=team)
    return _team_page(request, assessment_round, the_team)


@org_view()
@vary_on_headers("HX-Request")
def assessment_edit(request: HttpRequest, key: str, team: str, enabler: str) -> HttpResponse:
    """One row of a team's list: its form (GET, htmx) or the assessment saved (POST).

    htmx gets the row back (200 saved, 422 invalid, 409 refused by the round); a plain form
    post goes back to the list with a message, or shows the list with the errors (422).
    """
    membership = request.membership  # type: ignore[attr-defined]
    assessment_round = _get_round(membership, key)
    the_team = get_object_for_user(membership, Team.objects.all(), key=team)
    the_enabler = get_object_for_user(
        membership, Enabler.objects.select_related("owner_team"), key=enabler
    )
    require(membership, "assessment.edit", the_team)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    organisation = request.organisation  # type: ignore[attr-defined]

    def row_anchor() -> str:
        page = selectors.team_todo_page_of(
            organisation=organisation, team=the_team, enabler=the_enabler
        )
        query = f"?page={page}" if page > 1 else ""
        return f"{assessment_round.get_team_url(the_team)}{query}#assess-{the_enabler.key}"

    todo = _todo_row(request, assessment_round, the_team, the_enabler)
    if request.method != "POST":
        if not htmx:
            return redirect(row_anchor())
        if todo is None:
            raise Http404("This enabler is not on the team's list")
        return _row_response(request, assessment_round, the_team, RowView(todo))

    # Not on the list: the form is still checked, then the service says why it refuses.
    todo = todo or TodoRow(enabler=the_enabler, offerings=[], assessment=None)
    form = _assessment_form(todo, request.POST)
    if assessment_round.is_open and not form.is_valid():
        row = RowView(todo, form=form)
        if htmx:
            return _row_response(request, assessment_round, the_team, row, status=422)
        return _team_page(request, assessment_round, the_team, bound=row, status=422)
    try:
        if not assessment_round.is_open:  # before the form: its errors would not matter
            raise services.RoundError(CLOSED)
        services.assessment_save(
            assessment_round=assessment_round,
            team=the_team,
            enabler=the_enabler,
            fit=form.cleaned_data["fit"],
            pace=form.cleaned_data["pace"],
            preferred=form.cleaned_data["preferred"],
            comment=form.cleaned_data["comment"],
            actor=request.user,
        )
    except services.RoundError as error:
        if not htmx:
            messages.error(request, f"{error} Nothing was saved.")
            return redirect(row_anchor())
        assessment_round.refresh_from_db()  # closed meanwhile: the row becomes read only
        row = RowView(todo, problem=f"{error} Nothing was saved.")
        return _row_response(request, assessment_round, the_team, row, status=409)
    if not htmx:
        messages.success(request, f"Assessment of {the_enabler.name} saved.")
        return redirect(row_anchor())
    saved = _todo_row(request, assessment_round, the_team, the_enabler)
    return _row_response(request, assessment_round, the_team, RowView(saved or todo, saved=True))


def _todo_row(
    request: HttpRequest, assessment_round: AssessmentRound, team: Team, enabler: Enabler
) -> TodoRow | None:
    return selectors.team_todo_row(
        organisation=request.organisation,  # type: ignore[attr-defined]
        assessment_round=assessment_round,
        team=team,
        enabler=enabler,
    )


def _row_response(
    request: HttpRequest,
    assessment_round: AssessmentRound,
    team: Team,
    row: RowView,
    *,
    status: int = 200,
) -> HttpResponse:
    """The row for htmx to swap in, with the list's counter out of band."""
    organisation = request.organisation  # type: ignore[attr-defined]
    editable = _editable(request.membership, assessment_round, team)  # type: ignore[attr-defined]
    if not editable:
        row.form = None
    elif row.form is None:
        row.form = _assessment_form(row.todo)
    return render(
        request,
        "assessments/rounds/_row_response.html",
        {
            "round": assessment_round,
            "team": team,
            "row": row,
            "editable": editable,
            "assessed": selectors.team_todo_assessed(
                organisation=organisation, assessment_round=assessment_round, team=team
            ),
            "total": selectors.team_todo_enablers(organisation=organisation, team=team).count(),
        },
        status=status,
    )
