"""Installation-wide request limits, before anything reads the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than REQUEST_MAX_BYTES with 413, unread.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out: without this, anyone with a CSRF
    cookie could make the server stream a body of any size to disk (the CSRF check parses a
    multipart body before any view looks at who sent it). The largest import, an
    organisation file of 5 MB or twenty Markdown megabytes, fits well within the default.
    A body without a Content-Length is read as empty by Django, so it needs no check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            detail = (
                f"The request is too large: {length:,} bytes, at most {limit:,}. "
                "Send smaller files, or fewer at a time."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail, "errors": []}, status=413)
            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
