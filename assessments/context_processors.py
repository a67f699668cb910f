from typing import Any

from django.http import HttpRequest

from . import selectors


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the navigation, counted only when a page shows it."""
    organisation = getattr(request, "organisation", None)
    user = getattr(request, "user", None)
    if organisation is None or user is None or not user.is_authenticated:
        return {"unread_notifications": 0}

    def count() -> int:
        return selectors.unread_count(organisation=organisation, user=user)

    return {"unread_notifications": count}
