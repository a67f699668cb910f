"""Organisations: picking one, its home, its settings, members and invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from .. import selectors, services
from ..access import get_object_for_user, memberships_of
from ..forms import (
    AcceptInvitationForm,
    InvitationForm,
    MembershipForm,
    NewOrganisationForm,
    OrganisationForm,
)
from ..models import Invitation, Membership, Organisation, Role
from ..permissions import team_ids
from .base import form_data, org_crumbs, org_view, render_page


@login_required
def organisation_picker(request: HttpRequest) -> HttpResponse:
    """Where a person lands: straight into their only organisation, or a choice."""
    memberships = memberships_of(request.user)
    if len(memberships) == 1 and not request.user.is_staff:
        return redirect(memberships[0].organisation.get_absolute_url())
    return render(
        request,
        "catalogue/organisation_picker.html",
        {
            "memberships": memberships,
            "crumbs": [("Your organisations", "")],
        },
    )


@org_view()
def home(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    return render_page(
        request,
        "catalogue/home.html",
        {
            "counts": selectors.organisation_counts(organisation=organisation),
            "changes": selectors.recent_changes(organisation=organisation),
            "my_teams": sorted(
                t.team.name for t in membership.team_memberships.select_related("team")
            ),
        },
    )


@org_view(need="org.manage_members")
def organisation_settings(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = OrganisationForm(form_data(request), instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.organisation_update(organisation=form.save(commit=False), actor=request.user)
        messages.success(request, "Organisation settings saved.")
        return redirect("catalogue:home", organisation.slug)
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": "Organisation settings",
            "crumbs": org_crumbs(request, ("Settings", "")),
            "cancel_url": organisation.get_absolute_url(),
            "submit": "Save settings",
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="org.manage_members")
def member_list(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    return render_page(
        request,
        "catalogue/member_list.html",
        {
            "members": selectors.members_of(organisation=organisation),
            "invitations": Invitation.objects.for_org(organisation)
            .filter(accepted_at=None)
            .order_by("-created_at"),
            "now": timezone.now(),
            "crumbs": org_crumbs(request, ("Members", "")),
        },
    )


def _accept_url(request: HttpRequest):  # type: ignore[no-untyped-def]
    return lambda token: request.build_absolute_uri(reverse("accept_invitation", args=[token]))


@org_view(need="org.manage_members")
def member_invite(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = InvitationForm(form_data(request), organisation=organisation)
    if request.method == "POST" and form.is_valid():
        services.invitation_create(
            organisation=organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            teams=list(form.cleaned_data["teams"]),
            invited_by=request.user,
            accept_url_for=_accept_url(request),
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("catalogue:member_list", organisation.slug)
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": "Invite someone",
            "intro": "They get a one-time link by email and set their own password.",
            "crumbs": org_crumbs(
                request,
                ("Members", reverse("catalogue:member_list", args=[organisation.slug])),
                ("Invite", ""),
            ),
            "cancel_url": reverse("catalogue:member_list", args=[organisation.slug]),
            "submit": "Send invitation",
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="org.manage_members")
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    invitation = get_object_for_user(
        membership,
        Invitation.objects.all(),
        need="org.manage_members",
        pk=invitation_id,
        accepted_at=None,
    )
    if request.method == "POST":
        invitation.delete()
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("catalogue:member_list", membership.organisation.slug)


@org_view(need="org.manage_members")
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = membership.organisation
    member = get_object_for_user(
        membership,
        Membership.objects.select_related("user"),
        need="org.manage_members",
        pk=member_id,
    )
    form = MembershipForm(
        form_data(request),
        organisation=organisation,
        initial={"role": member.role, "teams": list(team_ids(member))},
    )
    if request.method == "POST" and form.is_valid():
        role = form.cleaned_data["role"]
        if member.pk == membership.pk and role != Role.ADMIN and _last_admin(member):
            form.add_error("role", "You are the only admin; make someone else admin first.")
        else:
            services.membership_update(
                membership=member,
                role=role,
                teams=list(form.cleaned_data["teams"]),
                actor=request.user,
            )
            messages.success(request, f"{member.user.get_username()} saved.")
            if member.pk == membership.pk and role != Role.ADMIN:
                return redirect("catalogue:home", organisation.slug)  # no longer an admin
            return redirect("catalogue:member_list", organisation.slug)
    members_url = reverse("catalogue:member_list", args=[organisation.slug])
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": f"Role and teams of {member.user.get_username()}",
            "crumbs": org_crumbs(
                request, ("Members", members_url), (member.user.get_username(), "")
            ),
            "cancel_url": members_url,
            "submit": "Save",
            "delete_url": reverse("catalogue:member_remove", args=[organisation.slug, member.pk]),
        },
        status=400 if form.is_bound else 200,
    )


def _last_admin(member: Membership) -> bool:
    admins = Membership.objects.for_org(member.organisation_id).filter(role=Role.ADMIN)
    return member.role == Role.ADMIN and admins.count() == 1


@org_view(need="org.manage_members")
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = membership.organisation
    member = get_object_for_user(
        membership,
        Membership.objects.select_related("user"),
        need="org.manage_members",
        pk=member_id,
    )
    members_url = reverse("catalogue:member_list", args=[organisation.slug])
    if request.method == "POST":
        if _last_admin(member):
            messages.error(
                request, "The last admin cannot be removed; make someone else admin first."
            )
            return redirect(members_url)
        leaving = member.pk == membership.pk  # before the delete clears member.pk
        services.membership_remove(membership=member, actor=request.user)
        messages.success(request, f"{member.user.get_username()} removed from {organisation.name}.")
        if leaving:
            return redirect("home")  # they left: the members page is no longer theirs
        return redirect(members_url)
    return render_page(
        request,
        "catalogue/confirm.html",
        {
            "title": f"Remove {member.user.get_username()} from {organisation.name}?",
            "intro": "They lose access at once. Their past changes stay in the history.",
            "crumbs": org_crumbs(request, ("Members", members_url), ("Remove", "")),
            "cancel_url": members_url,
            "submit": "Remove member",
        },
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link: create an account (or use the signed-in one) and join."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return render(
            request,
            "catalogue/invitation_invalid.html",
            {"crumbs": [("Invitation", "")]},
            status=404,
        )
    user_model = get_user_model()
    if request.user.is_authenticated:
        if (request.user.email or "").strip().lower() != invitation.email:
            # The link was sent to one person; another account cannot spend it.
            return render(
                request,
                "catalogue/invitation_other_account.html",
                {"invitation": invitation, "crumbs": [("Invitation", "")]},
                status=403,
            )
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except ValueError:
                messages.error(request, "This invitation has already been used.")
                return redirect("home")
            messages.success(request, f"You have joined {invitation.organisation.name}.")
            return redirect(invitation.organisation.get_absolute_url())
        return render(
            request,
            "catalogue/invitation_accept.html",
            {"invitation": invitation, "form": None, "crumbs": [("Invitation", "")]},
        )
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, "You already have an account: sign in to accept the invitation.")
        return redirect(f"{reverse('login')}?next={request.path}")
    form = AcceptInvitationForm(
        form_data(request),
        email=invitation.email,
        initial={"username": invitation.email.split("@")[0]},
    )
    if request.method == "POST" and form.is_valid():
        user = user_model.objects.create_user(
            username=form.cleaned_data["username"],
            email=invitation.email,
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        services.invitation_accept(invitation=invitation, user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {invitation.organisation.name}.")
        return redirect(invitation.organisation.get_absolute_url())
    return render(
        request,
        "catalogue/invitation_accept.html",
        {"invitation": invitation, "form": form, "crumbs": [("Invitation", "")]},
        status=400 if form.is_bound else 200,
    )


@login_required
def staff_organisations(request: HttpRequest) -> HttpResponse:
    """Staff of the installation create organisations and name their first admin."""
    if not request.user.is_staff:
        raise Http404("Not found")
    form = NewOrganisationForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            delivery_model=form.cleaned_data["delivery_model"],
            description=form.cleaned_data["description"],
            admin_email=form.cleaned_data["admin_email"],
            created_by=request.user,
            accept_url_for=_accept_url(request),
        )
        messages.success(
            request,
            f"Organisation “{organisation.name}” created. An existing account with that email "
            "is its admin now; anyone else has been sent an invitation.",
        )
        return redirect("staff_organisations")
    return render(
        request,
        "catalogue/staff_organisations.html",
        {
            "form": form,
            "organisations": Organisation.objects.order_by("name"),
            "crumbs": [("Organisations in this installation", "")],
        },
        status=400 if form.is_bound else 200,
    )
