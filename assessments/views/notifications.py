"""Notifications of the signed-in person in one organisation: the list and mark as read."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from catalogue.views.base import org_crumbs, org_view, paginate, render_page

from .. import selectors, services


@org_view()
def notification_list(request: HttpRequest) -> HttpResponse:
    """What the person was told in this organisation, newest first. Only ever their own."""
    organisation = request.organisation  # type: ignore[attr-defined]
    unread_only = request.GET.get("unread") == "1"
    notes = selectors.notifications_for_list(
        organisation=organisation, user=request.user, unread_only=unread_only
    )
    unread = selectors.unread_count(organisation=organisation, user=request.user)
    return render_page(
        request,
        "assessments/notifications/list.html",
        {
            "page": paginate(request, notes),
            "query": "unread=1" if unread_only else "",
            "unread_only": unread_only,
            # Counted once here; the navigation uses the same number.
            "unread_notifications": unread,
            "crumbs": org_crumbs(request, ("Notifications", "")),
        },
        partial="notes",
    )


@org_view()
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all the person's notifications as read, or those named by ``id``, then go back.

    Ids of other people's notifications are ignored: the service only touches the person's
    own. A GET changes nothing and leads back to the list.
    """
    organisation = request.organisation  # type: ignore[attr-defined]
    back = request.POST.get("next", "")
    # A path of this site only: redirect() would take a bare word ("1") for a view name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("assessments:notification_list", args=[organisation.slug])
    if request.method != "POST":
        return redirect(back)
    ids: list[int] | None = None
    if "id" in request.POST:
        # Named ones only; a malformed id names nothing (never "all").
        ids = [
            int(i)
            for i in request.POST.getlist("id")
            if i.isascii() and i.isdigit() and len(i) < 19
        ]
    marked = services.notifications_mark_read(organisation=organisation, user=request.user, ids=ids)
    if ids is not None:
        messages.success(request, "Marked as read." if marked else "That was already read.")
    elif marked:
        plural = "s" if marked != 1 else ""
        messages.success(request, f"Marked {marked} notification{plural} as read.")
    else:
        messages.info(request, "Nothing new to mark as read.")
    return redirect(back)
