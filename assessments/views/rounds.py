"""Views: rounds (being built)."""

from django.http import HttpRequest, HttpResponse

from catalogue.views.base import org_view


@org_view()
def round_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


round_open = round_detail = round_edit = round_close = round_team = assessment_edit = round_list
