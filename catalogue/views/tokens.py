"""Personal API tokens: each member makes and revokes their own, for one organisation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .. import services
from ..access import get_object_for_user
from ..forms import TokenForm
from ..models import ApiToken
from .base import form_data, org_crumbs, org_view, render_page


def _crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(
        request, ("API tokens", reverse("catalogue:token_list", args=[org.slug])), *extra
    )


@never_cache  # the new token's secret is in this response: keep it out of every cache
@org_view(need="api.tokens")
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens here, and the form for a new one (its secret is shown once, on this page)."""
    membership = request.membership  # type: ignore[attr-defined]
    form = TokenForm(form_data(request))
    secret = ""
    if request.method == "POST" and form.is_valid():
        token, secret = services.token_create(
            membership=membership,
            name=form.cleaned_data["name"],
            valid_days=form.cleaned_data["valid_days"],
        )
        messages.success(
            request, f"API token “{token.name}” made. Copy it now: it is not shown again."
        )
        form = TokenForm()
    tokens = ApiToken.objects.for_org(membership.organisation).filter(membership=membership)
    return render_page(
        request,
        "catalogue/token_list.html",
        {
            "form": form,
            "secret": secret,
            "tokens": list(tokens),
            "crumbs": _crumbs(request)[:-1] + [("API tokens", "")],
            "api_base": request.build_absolute_uri(f"/api/o/{membership.organisation.slug}/"),
            "docs_url": reverse("api:openapi-view"),
            "now": timezone.now(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@org_view(need="api.tokens")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    # Your own tokens only: another member's token is not found, whatever your role.
    token = get_object_for_user(
        membership, ApiToken.objects.filter(membership=membership), pk=token_id
    )
    back = reverse("catalogue:token_list", args=[membership.organisation.slug])
    if request.method == "POST":
        services.token_revoke(token=token, actor=request.user)
        messages.success(request, f"API token “{token.name}” revoked: it no longer works.")
        return redirect(back)
    return render_page(
        request,
        "catalogue/confirm.html",
        {
            "title": f"Revoke the API token “{token.name}”?",
            "intro": "Anything that uses it stops working at once. This cannot be undone; "
            "you can make a new token afterwards.",
            "crumbs": _crumbs(request, ("Revoke", "")),
            "cancel_url": back,
            "submit": "Revoke token",
        },
    )
