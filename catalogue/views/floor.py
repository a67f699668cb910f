"""The benchmark's floor: an organisation page that does next to nothing.

`manage.py bench` measures every main page as a ratio to this one, served by the same
server through the same middleware, session and access check, so the ratio shows what the
page itself costs, not the machine's or the framework's fixed share.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from .base import org_view


@require_safe
@org_view()
def floor(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    return HttpResponse(f"{organisation.name}\n", content_type="text/plain; charset=utf-8")
