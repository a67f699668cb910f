"""The decision register: the filtered list, the timeline, proposing and editing a decision,
its page with the supersede chain and history, and accepting or rejecting it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogue.access import get_object_for_user
from catalogue.forms import VersionField
from catalogue.models import Classification, Enabler, Organisation
from catalogue.permissions import can
from catalogue.views.base import form_data, org_crumbs, org_view, paginate, render_page

from .. import selectors, services
from ..forms import CHANGE_ROWS, DecideForm, DecisionForm
from ..models import BalanceReport, Decision, DecisionStatus

# A proposed or accepted decision may be superseded by a new one.
SUPERSEDABLE = (DecisionStatus.PROPOSED, DecisionStatus.ACCEPTED)


def _decisions_crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(
        request, ("Decisions", reverse("assessments:decision_list", args=[org.slug])), *extra
    )


def _decision_queryset() -> QuerySet[Decision]:
    return Decision.objects.select_related(
        "supersedes", "merge_into", "report", "proposed_by", "decided_by"
    )


def _get_decision(request: HttpRequest, key: str, *, need: str = "org.view") -> Decision:
    membership = request.membership  # type: ignore[attr-defined]
    return get_object_for_user(membership, _decision_queryset(), key=key, need=need)


# --- the list and the timeline ----------------------------------------------------------------


@org_view()
def decision_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    filterset, decisions = selectors.decisions_for_list(
        organisation=organisation, data=request.GET or None
    )
    page = paginate(request, decisions)
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "assessments/decisions/decision_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "can_propose": can(membership, "decision.propose"),
            "can_decide": can(membership, "decision.decide"),
            "crumbs": org_crumbs(request, ("Decisions", "")),
        },
        partial="rows",
    )


@org_view()
def decision_timeline(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    return render_page(
        request,
        "assessments/decisions/decision_timeline.html",
        {
            "months": selectors.decision_timeline(organisation=organisation),
            "can_propose": can(membership, "decision.propose"),
            "crumbs": _decisions_crumbs(request, ("Timeline", "")),
        },
    )


# --- proposing and editing --------------------------------------------------------------------


def _keys(request: HttpRequest, name: str) -> list[str]:
    # No key holds NUL, and PostgreSQL refuses to even compare with one (a 500).
    return [v.strip() for v in request.GET.getlist(name) if v.strip() and "\x00" not in v][:50]


def _prefill(request: HttpRequest, organisation: Organisation) -> dict[str, Any]:
    """Form values from the query string, so a decision can be started from a finding, a
    what-if or another decision. Anything unknown is left out."""
    initial: dict[str, Any] = {}
    for name in ("title", "context"):
        value = request.GET.get(name, "").strip()
        if value:
            initial[name] = value[:200] if name == "title" else value[:10000]
    for name, field in (("enabler", "enablers"), ("flag", "flags"), ("merge_from", "merge_from")):
        keys = _keys(request, name)
        if keys:
            initial[field] = keys  # keys matching no choice simply select nothing
    for name in ("supersedes", "merge_into"):
        key = request.GET.get(name, "").strip()
        if key:
            initial[name] = key
    report = request.GET.get("report", "")
    if (
        report.isdigit()
        and len(report) < 12
        and BalanceReport.objects.for_org(organisation).filter(pk=int(report)).exists()
    ):
        initial["report"] = int(report)
    wanted: list[tuple[str, str]] = []
    for value in _keys(request, "change"):
        key, _, to = value.partition(":")
        if key and to in Classification.values:
            wanted.append((key, to))
    if wanted:
        names = dict(
            Enabler.objects.for_org(organisation)
            .filter(key__in=[k for k, _ in wanted])
            .values_list("key", "name")
        )
        rows = [(names[k], to) for k, to in wanted if k in names][:CHANGE_ROWS]
        for row, (name, to) in enumerate(rows, start=1):
            initial[f"enabler_{row}"] = name
            initial[f"to_{row}"] = to
    return initial


def _edit_initial(decision: Decision) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(decision, name)
        for name in ("title", "context", "options", "decision", "consequences", "review_on")
    }
    initial["enablers"] = [e.key for e in decision.enablers.all()]
    initial["flags"] = list(decision.flags.values_list("key", flat=True))
    initial["merge_from"] = [e.key for e in decision.merge_from.all()]
    initial["supersedes"] = decision.supersedes.key if decision.supersedes else ""
    initial["merge_into"] = decision.merge_into.key if decision.merge_into else ""
    initial["report"] = decision.report_id
    for row, change in enumerate(decision.changes.select_related("enabler"), start=1):
        if row > CHANGE_ROWS:
            break
        initial[f"enabler_{row}"] = change.enabler.name
        initial[f"to_{row}"] = change.to_classification
    return initial


def _form_page(
    request: HttpRequest,
    form: DecisionForm,
    *,
    decision: Decision | None,
    cancel_url: str,
    conflict: services.StaleItem | None = None,
    differences: list[tuple[str, str, str]] | None = None,
) -> HttpResponse:
    title = f"Edit {decision.reference}" if decision else "Propose a decision"
    crumbs = (
        _decisions_crumbs(request, (decision.reference, decision.get_absolute_url()), ("Edit", ""))
        if decision
        else _decisions_crumbs(request, ("Propose", ""))
    )
    return render_page(
        request,
        "assessments/decisions/decision_form.html",
        {
            "form": form,
            "decision": decision,
            "title": title,
            "cancel_url": cancel_url,
            "crumbs": crumbs,
            "conflict": conflict,
            "differences": differences or [],
        },
        status=409 if conflict else (400 if form.is_bound else 200),
    )


@org_view(need="decision.propose")
def decision_new(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = DecisionForm(
        form_data(request),
        organisation=organisation,
        initial=_prefill(request, organisation) if request.method != "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        assert form.draft is not None
        try:
            decision = services.decision_propose(
                organisation=organisation, draft=form.draft, actor=request.user
            )
        except services.DecisionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{decision.reference} proposed.")
            return redirect(decision.get_absolute_url())
    return _form_page(
        request,
        form,
        decision=None,
        cancel_url=reverse("assessments:decision_list", args=[organisation.slug]),
    )


@org_view(need="decision.propose")
def decision_edit(request: HttpRequest, key: str) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    decision = _get_decision(request, key, need="decision.propose")
    if not decision.is_open:
        return _refused(
            request,
            decision,
            f"{decision.reference} is {decision.status}: its text can no longer be changed. "
            "Propose a new decision that supersedes it.",
        )
    form = DecisionForm(
        form_data(request),
        organisation=organisation,
        decision=decision,
        initial=_edit_initial(decision) if request.method != "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        assert form.draft is not None
        try:
            decision = services.decision_update(
                decision=decision,
                draft=form.draft,
                actor=request.user,
                base_version=form.cleaned_data.get("version"),
            )
        except services.StaleItem as stale:
            return _edit_conflict(request, form, stale)
        except services.DecisionError as error:
            decision.refresh_from_db()
            if not decision.is_open:  # decided while the form was open
                return _refused(request, decision, str(error))
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{decision.reference} saved.")
            return redirect(decision.get_absolute_url())
    return _form_page(request, form, decision=decision, cancel_url=decision.get_absolute_url())


# What the conflict notice compares between the stored decision and what was sent.
TEXT_FIELDS = ("title", "context", "options", "decision", "consequences", "review_on")


def _edit_conflict(
    request: HttpRequest, sent: DecisionForm, stale: services.StaleItem
) -> HttpResponse:
    """Someone saved (or decided) the decision while this person edited it: nothing of theirs
    is saved; the form comes back with the stored values and version (409)."""
    current = _decision_queryset().for_org(stale.current.organisation).get(pk=stale.current.pk)  # type: ignore[attr-defined]
    if not current.is_open:
        return _refused(
            request,
            current,
            f"Someone else {current.status} {current.reference} while you were editing it: its "
            "text can no longer be changed, and nothing of yours was saved.",
        )
    differences = [
        (str(sent.fields[name].label), _shown(getattr(current, name)), _shown(sent_value))
        for name in TEXT_FIELDS
        if (sent_value := sent.cleaned_data.get(name)) != getattr(current, name)
        and (sent_value or getattr(current, name))
    ]
    form = DecisionForm(
        organisation=current.organisation, decision=current, initial=_edit_initial(current)
    )
    return _form_page(
        request,
        form,
        decision=current,
        cancel_url=current.get_absolute_url(),
        conflict=stale,
        differences=differences,
    )


def _shown(value: Any) -> str:
    """A value in the conflict notice: long text cut short, nothing as a dash."""
    text = str(value) if value not in (None, "") else "—"
    return text if len(text) <= 120 else text[:119] + "…"


# --- one decision -----------------------------------------------------------------------------


def _detail_context(request: HttpRequest, decision: Decision) -> dict[str, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    older, newer = selectors.decision_chain(decision=decision)
    changes = list(decision.changes.select_related("enabler"))
    for change in changes:
        change.stale = (  # type: ignore[attr-defined]
            decision.is_open and change.enabler.classification != change.from_classification
        )
    slug = decision.organisation.slug
    return {
        "decision": decision,
        "changes": changes,
        "enablers": list(decision.enablers.order_by("name")),
        "merge_from": list(decision.merge_from.order_by("name")),
        "flags": list(decision.flags.select_related("enabler").order_by("-raised_at")),
        "older": older,
        "newer": newer,
        "history": selectors.decision_history(decision=decision),
        "can_edit": decision.is_open and can(membership, "decision.propose"),
        "can_decide": decision.is_open and can(membership, "decision.decide"),
        "supersede_url": (
            f"{reverse('assessments:decision_new', args=[slug])}?supersedes={decision.key}"
            if decision.status in SUPERSEDABLE and can(membership, "decision.propose")
            else ""
        ),
        "crumbs": _decisions_crumbs(request, (decision.reference, "")),
    }


def _refused(
    request: HttpRequest, decision: Decision, message: str, *, status: int = 409
) -> HttpResponse:
    """The decision's page with the reason something was refused (409, or 400)."""
    messages.error(request, message)
    decision = _decision_queryset().for_org(decision.organisation).get(pk=decision.pk)  # type: ignore[attr-defined]
    return render_page(
        request,
        "assessments/decisions/decision_detail.html",
        _detail_context(request, decision),
        status=status,
    )


@org_view()
def decision_detail(request: HttpRequest, key: str) -> HttpResponse:
    decision = _get_decision(request, key)
    return render_page(
        request, "assessments/decisions/decision_detail.html", _detail_context(request, decision)
    )


@org_view(need="decision.decide")
@require_POST
def decision_accept(request: HttpRequest, key: str) -> HttpResponse:
    return _decide(request, key, accept=True)


@org_view(need="decision.decide")
@require_POST
def decision_reject(request: HttpRequest, key: str) -> HttpResponse:
    return _decide(request, key, accept=False)


def _decide(request: HttpRequest, key: str, *, accept: bool) -> HttpResponse:
    """Accept or reject, as the decision was when the page showed it (its version)."""
    decision = _get_decision(request, key, need="decision.decide")
    verb = "accept" if accept else "reject"
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _refused(request, decision, VersionField.BAD, status=400)
    decide = services.decision_accept if accept else services.decision_reject
    try:
        decision = decide(
            decision=decision, actor=request.user, base_version=form.cleaned_data["version"]
        )
    except services.StaleItem as stale:
        return _refused(
            request,
            stale.current,
            f"Someone else changed {decision.reference} while you were looking at it. Their "
            f"change is kept and nothing was {verb}ed; check it below, then {verb} it again.",
        )
    except services.DecisionError as error:
        return _refused(request, decision, str(error))
    messages.success(request, f"{decision.reference} {verb}ed.")
    return redirect(decision.get_absolute_url())
