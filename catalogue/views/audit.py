"""The audit log page, and password reset by email (Django's views, our forms and pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy

from .. import audit
from ..models import AuditKind
from .base import org_crumbs, org_view, paginate, render_page

# --- the audit log ------------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of event",
        choices=[("", "All events"), *AuditKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


@org_view(need="org.manage_members")
def audit_log(request: HttpRequest) -> HttpResponse:
    """Sign-ins of the organisation's members and its role changes, removals and refusals."""
    organisation = request.organisation  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET if "kind" in request.GET else None)
    valid = form.is_valid() if form.is_bound else True
    kind = form.cleaned_data["kind"] if form.is_bound and valid else ""
    page = paginate(request, audit.events_for(organisation=organisation, kind=kind), per_page=50)
    members_url = reverse("catalogue:member_list", args=[organisation.slug])
    return render_page(
        request,
        "catalogue/audit_log.html",
        {
            "form": form,
            "page": page,
            "events": page.object_list,
            "kind": kind,
            "query": f"kind={kind}" if kind else "",
            "crumbs": org_crumbs(request, ("Members", members_url), ("Audit log", "")),
        },
        status=200 if valid else 400,
    )


# --- password reset -----------------------------------------------------------------------------

RESET_CRUMBS = [("Sign in", reverse_lazy("login")), ("Reset your password", "")]


class AuditedPasswordResetForm(PasswordResetForm):
    """Django's form (same answer whether or not the address is known); each link sent is
    recorded against its account."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        super().send_mail(
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )
        audit.record(
            kind=AuditKind.PASSWORD_RESET, user=context["user"], detail="Reset link sent by email"
        )


class NewPasswordForm(SetPasswordForm):
    """Django's set-password form, with the password rules' errors on the new password itself."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password2"].help_text = "The same password, to be sure it is typed right."

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return self.cleaned_data


class _Refuse400:
    """A form with errors is a bad request (400), as on every other page of ours."""

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


class PasswordResetView(_Refuse400, auth_views.PasswordResetView):
    form_class = AuditedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    extra_context = {"crumbs": RESET_CRUMBS}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "timeout_minutes": _timeout_minutes()}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        # Links start with the configured address, never with the Host header a caller sent.
        self.extra_email_context = {
            "site_url": settings.SITE_URL.rstrip("/"),
            "timeout_minutes": _timeout_minutes(),
        }
        return super().form_valid(form)


def _timeout_minutes() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 60)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    extra_context = {"crumbs": RESET_CRUMBS}


class PasswordResetConfirmView(_Refuse400, auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    extra_context = {"crumbs": [("Sign in", reverse_lazy("login")), ("Choose a new password", "")]}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        user = self.user  # type: ignore[attr-defined]
        audit.record(kind=AuditKind.PASSWORD_RESET, user=user, detail="New password set")
        # Signed out everywhere (the old password's sessions), and no lockout left over.
        audit.end_sessions(user_id=user.pk)
        from axes.utils import reset

        reset(username=user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    extra_context = {"crumbs": [("Sign in", reverse_lazy("login")), ("Password changed", "")]}
