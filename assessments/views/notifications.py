"""Views: notifications (being built)."""

from django.http import HttpRequest, HttpResponse

from catalogue.views.base import org_view


@org_view()
def notification_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


notifications_read = notification_list
