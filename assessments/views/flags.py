"""Bottleneck flags: the filtered list, raising one, its page with the timeline and history,
acknowledging, resolving and reopening it with a note, and comments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from catalogue.access import get_object_for_user, require
from catalogue.models import Membership, Offering, Organisation, Team
from catalogue.permissions import can, team_ids
from catalogue.views.base import form_data, org_crumbs, org_view, paginate, render_page

from .. import selectors, services
from ..forms import CommentForm, FlagForm, FlagNoteForm
from ..models import BottleneckFlag, FlagAction, FlagStatus, Notification

# The action in a transition URL, and what it does.
ACTIONS: dict[str, str] = {
    "acknowledge": FlagAction.ACKNOWLEDGED,
    "resolve": FlagAction.RESOLVED,
    "reopen": FlagAction.REOPENED,
}
VERBS = {action: verb for verb, action in ACTIONS.items()}


def duration_words(delta: timedelta) -> str:
    """How long, in the words a list shows: "under an hour", "5 hours", "3 days"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return "under an hour"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def _flags_crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(request, ("Flags", reverse("assessments:flag_list", args=[org.slug])), *extra)


def _flag_crumbs(request: HttpRequest, flag: BottleneckFlag, *extra: tuple[str, str]) -> Any:
    return _flags_crumbs(request, (flag.summary, flag.get_absolute_url()), *extra)


def can_raise(membership: Membership) -> bool:
    """Team member or above in at least one team, or leadership."""
    if not can(membership, "flag.raise"):
        return False
    return can(membership, "structure.edit") or bool(team_ids(membership))


def _flag_queryset() -> QuerySet[BottleneckFlag]:
    return BottleneckFlag.objects.select_related(
        "team", "enabler__owner_team", "offering", "journey", "raised_by"
    )


# --- the list ---------------------------------------------------------------------------------


@org_view()
def flag_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    filterset, flags = selectors.flags_for_list(organisation=organisation, data=request.GET or None)
    counts = selectors.flag_counts(organisation=organisation)
    page = paginate(
        request,
        selectors.flag_rows(flags, "team", "enabler", "offering"),
        count=_listed_count(request, counts),
    )
    now = timezone.now()
    for flag in page.object_list:
        flag.open_for_text = duration_words(flag.open_for(now))  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    slug = organisation.slug
    list_url = reverse("assessments:flag_list", args=[slug])
    return render_page(
        request,
        "assessments/flags/flag_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "owner": filterset.narrowed_to("owner"),
            "offering": filterset.narrowed_to("offering"),
            "counts": _status_counts(counts, list_url),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "can_raise": can_raise(membership),
            "crumbs": org_crumbs(request, ("Flags", "")),
        },
        partial="rows",
    )


def _listed_count(request: HttpRequest, counts: dict[str, int]) -> int | None:
    """How many flags the list holds, where the counts per status tell: all of them, or
    those of one status; None (count them) when other filters narrow the list."""
    asked = {name for name, value in request.GET.items() if value and name != "page"}
    if not asked:
        return sum(counts.values())
    if asked == {"status"} and request.GET["status"] in counts:
        return counts[request.GET["status"]]
    return None


def _status_counts(counts: dict[str, int], list_url: str) -> list[dict[str, Any]]:
    return [
        {
            "status": status,
            "label": FlagStatus(status).label,
            "count": n,
            "url": f"{list_url}?status={status}",
        }
        for status, n in counts.items()
    ]


# --- raising a flag ---------------------------------------------------------------------------


def _initial(request: HttpRequest, organisation: Organisation, teams: list[Team]) -> dict:
    """Form values from the query string (?enabler=&offering=&journey=&team=, all keys)."""
    initial: dict[str, Any] = {}
    for name in ("enabler", "offering", "journey", "team"):
        key = request.GET.get(name, "")
        if key:
            initial[name] = key
    team_keys = [t.key for t in teams]
    if initial.get("team") not in team_keys:
        initial.pop("team", None)
        offering = None
        if initial.get("offering"):
            offering = (
                Offering.objects.for_org(organisation)
                .filter(key=initial["offering"])
                .select_related("team")
                .first()
            )
        if offering is not None and offering.team and offering.team.key in team_keys:
            initial["team"] = offering.team.key  # flagged from the team's own offering
        elif len(team_keys) == 1:
            initial["team"] = team_keys[0]
    return initial


@org_view(need="flag.raise")
def flag_raise(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = membership.organisation
    teams = selectors.acting_teams(membership)
    team_list = list(teams)
    if not team_list:
        return render_page(
            request,
            "assessments/flags/no_team.html",
            {"crumbs": _flags_crumbs(request, ("Flag a bottleneck", ""))},
            status=403,
        )
    if request.method == "POST":
        # A team named in the form that the person may not act for: refuse (403), whatever
        # else is wrong with the form.
        key = request.POST.get("team", "")
        # No key holds NUL, and PostgreSQL refuses to even compare with one (a 500).
        posted = (
            None if "\x00" in key else Team.objects.for_org(organisation).filter(key=key).first()
        )
        if posted is not None:
            require(membership, "team.act_for", posted)
    form = FlagForm(
        form_data(request),
        organisation=organisation,
        teams=teams,
        initial=_initial(request, organisation, team_list) if request.method != "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        require(membership, "team.act_for", data["team"])
        flag = services.flag_raise(
            organisation=organisation,
            team=data["team"],
            enabler=data["enabler"],
            offering=data["offering"],
            journey=data["journey"],
            severity=data["severity"],
            summary=data["summary"],
            details=data["details"],
            actor=request.user,
        )
        owner = data["enabler"].owner_team
        told = f" The {owner.name} team has been told." if owner else ""
        messages.success(request, f"Flag raised on “{data['enabler'].name}”.{told}")
        return redirect(flag.get_absolute_url())
    back = _back_url(request, organisation)
    return render_page(
        request,
        "assessments/flags/flag_form.html",
        {
            "form": form,
            "cancel_url": back,
            "crumbs": _flags_crumbs(request, ("Flag a bottleneck", "")),
        },
        status=400 if form.is_bound else 200,
    )


def _back_url(request: HttpRequest, organisation: Organisation) -> str:
    """Where "Cancel" goes: the page the flag was started from, else the list of flags."""
    slug = organisation.slug
    for name, url_name in (
        ("enabler", "catalogue:enabler_detail"),
        ("offering", "catalogue:offering_detail"),
        ("team", "catalogue:team_detail"),
    ):
        key = request.GET.get(name, "")
        if key and key.replace("-", "").isalnum() and key.isascii():
            return reverse(url_name, args=[slug, key])
    return reverse("assessments:flag_list", args=[slug])


# --- one flag ---------------------------------------------------------------------------------


def _open_for(flag: BottleneckFlag, now: datetime) -> str:
    return duration_words(flag.open_for(now))


def _detail_context(
    request: HttpRequest,
    flag: BottleneckFlag,
    *,
    note_form: FlagNoteForm | None = None,
    comment_form: CommentForm | None = None,
) -> dict[str, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    slug = flag.organisation.slug
    can_respond = can(membership, "flag.respond", flag)
    can_comment = can(membership, "flag.comment", flag)
    actions = [
        {
            "label": VERBS[action].capitalize(),
            "url": reverse("assessments:flag_transition", args=[slug, flag.key, VERBS[action]]),
        }
        for action in services.flag_actions(flag)
    ]
    return {
        "flag": flag,
        "open_for": _open_for(flag, timezone.now()),
        "timeline": selectors.flag_timeline(flag=flag),
        "history": selectors.flag_history(flag=flag),
        "can_respond": can_respond,
        "actions": actions if can_respond else [],
        "note_form": (note_form or FlagNoteForm(flag=flag)) if can_respond and actions else None,
        "comment_form": (comment_form or CommentForm()) if can_comment else None,
        "crumbs": _flags_crumbs(request, (flag.summary, "")),
    }


@org_view()
def flag_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    flag = get_object_for_user(membership, _flag_queryset(), key=key)
    organisation = membership.organisation
    # Reading the flag reads what the person was told about it: one SELECT, and an UPDATE
    # only when something was unread.
    unread = list(
        Notification.objects.for_org(organisation)
        .filter(flag=flag, recipient=request.user, read_at=None)
        .values_list("pk", flat=True)
    )
    if unread:
        services.notifications_mark_read(organisation=organisation, user=request.user, ids=unread)
    return render_page(
        request, "assessments/flags/flag_detail.html", _detail_context(request, flag)
    )


@org_view()
def flag_transition(request: HttpRequest, key: str, action: str) -> HttpResponse:
    """Acknowledge, resolve or reopen a flag with an optional note (GET: confirm page)."""
    if action not in ACTIONS:
        raise Http404("No such action")
    flag_action = ACTIONS[action]
    membership = request.membership  # type: ignore[attr-defined]
    flag = get_object_for_user(membership, _flag_queryset(), key=key, need="flag.respond")
    form = FlagNoteForm(form_data(request), flag=flag)
    status, conflict = 200, False
    if request.method == "POST":
        if form.is_valid():
            try:
                flag = services.flag_transition(
                    flag=flag,
                    action=flag_action,
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    base_version=form.cleaned_data["version"],
                )
            except services.StaleItem:
                # The flag as stored now, with the note kept so it can be sent again.
                flag = get_object_for_user(membership, _flag_queryset(), pk=flag.pk)
                form = FlagNoteForm(initial={"note": form.cleaned_data["note"]}, flag=flag)
                status, conflict = 409, True
            except services.FlagError as error:
                form.add_error(None, str(error))
                flag.refresh_from_db()
                status = 409
            else:
                messages.success(
                    request, f"Flag {FlagAction(flag_action).label.lower()}. {_told(flag)}"
                )
                return redirect(flag.get_absolute_url())
        else:
            status = 400
    applies = flag_action in services.flag_actions(flag)
    return render_page(
        request,
        "assessments/flags/flag_transition.html",
        {
            "flag": flag,
            "form": form,
            "applies": applies,
            "button": VERBS[flag_action].capitalize(),
            "done": FlagAction(flag_action).label.lower(),
            "conflict": conflict,
            "crumbs": _flag_crumbs(request, flag, (VERBS[flag_action].capitalize(), "")),
        },
        status=status,
    )


def _told(flag: BottleneckFlag) -> str:
    return f"The {flag.team.name} team has been told."


@org_view(need="flag.comment")
def flag_comment(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    flag = get_object_for_user(membership, _flag_queryset(), key=key, need="flag.comment")
    if request.method != "POST":
        return redirect(flag.get_absolute_url())
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.flag_comment(flag=flag, body=form.cleaned_data["body"], actor=request.user)
        except services.FlagError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, "Comment added.")
            return redirect(flag.get_absolute_url() + "#timeline")
    return render_page(
        request,
        "assessments/flags/flag_detail.html",
        _detail_context(request, flag, comment_form=form),
        status=400,
    )
