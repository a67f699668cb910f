"""Views: flags (being built)."""

from django.http import HttpRequest, HttpResponse

from catalogue.views.base import org_view


@org_view()
def flag_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


flag_raise = flag_detail = flag_comment = flag_transition = flag_list
