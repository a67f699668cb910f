"""What every organisation view shares: the access check and htmx-aware rendering."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from ..access import get_membership_for_user
from ..models import current_organisation
from ..pagination import CountingPaginator, count_known

View = Callable[..., HttpResponse]


def org_view(need: str = "org.view") -> Callable[[View], View]:
    """Resolve ``org`` from the URL through the access module before the view runs.

    Anonymous: login page. Not a member: 404. Role without ``need``: 403. The view gets
    ``request.membership`` and ``request.organisation``.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = get_membership_for_user(request.user, org, need=need)
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            token = current_organisation.set(membership.organisation)
            try:
                return view(request, *args, **kwargs)
            finally:
                current_organisation.reset(token)

        return wrapper

    return decorator


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The full page, or its named partial when htmx asks (``template#partial``)."""
    is_htmx = bool(getattr(request, "htmx", False)) and not getattr(request.htmx, "boosted", False)  # type: ignore[attr-defined]
    name = f"{template}#{partial}" if partial and is_htmx else template
    response = render(request, name, context, status=status)
    if partial:
        patch_vary_headers(response, ["HX-Request"])
    return response


def paginate(
    request: HttpRequest,
    items: Any,
    per_page: int = 25,
    *,
    count_with_page: bool = False,
    count: int | None = None,
) -> Page:
    """A page of ``items`` (?page=). ``count_with_page``: the number of items comes with the
    page in one query, which pays where finding the items is the costly part (a search, a
    filter through usages); a plain list read in index order is quicker counted apart.
    ``count``: the number of items, where the page has worked it out already."""
    paginator = (CountingPaginator if count_with_page else Paginator)(items, per_page)
    if count is not None:
        count_known(paginator, count)
    return paginator.get_page(request.GET.get("page"))


def form_data(request: HttpRequest) -> Any:
    """POST data for a submitted form, else None (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def org_crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """Breadcrumbs starting at the organisation's home; ``extra`` are (label, url) pairs."""
    org = request.organisation  # type: ignore[attr-defined]
    return [(org.name, reverse("catalogue:home", args=[org.slug])), *extra]
