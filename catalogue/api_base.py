"""What every API operation shares: who is calling, the errors, paging and strict text.

The API checks access through the same module as the pages (``catalogue.access``): a token
or a signed-in session identifies the person; ``member()`` finds their membership of the
organisation in the path (404 when they are not a member, or the token is for another
organisation) and checks the role (403). Every error is JSON of one shape, ``Error``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from pydantic import AfterValidator, ConfigDict, StringConstraints

from . import services
from .access import get_membership_for_user, require
from .models import KEY_MAX_LENGTH, ApiToken, Membership

# --- who is calling -------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """``Authorization: Bearer em_…``: a personal token made on the API tokens page."""

    openapi_description = "A personal API token, made on the “API tokens” page of an organisation."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = services.token_authenticate(token)
        if found is not None:
            request.user = found.membership.user
            request.api_token = found  # type: ignore[attr-defined]
        return found


class SessionAuth(NinjaSessionAuth):
    """A signed-in browser (the interactive docs): its writes need the CSRF token.

    Without a signed-in session there is nothing to protect, so the caller is told to
    authenticate (401), not that a CSRF check failed.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def member(request: HttpRequest, org: str, need: str = "org.view") -> Membership:
    """The caller's membership of ``org`` (404 if none), after checking ``need`` (403)."""
    token: ApiToken | None = getattr(request, "api_token", None)
    if token is not None:
        membership = token.membership
        if membership.organisation.slug != org:
            raise Http404("No such organisation")  # a token works for its own organisation only
        require(membership, need)
        return membership
    return get_membership_for_user(request.user, org, need=need)


# --- errors ---------------------------------------------------------------------------------


class ErrorItem(Schema):
    loc: list[str | int] = Field(description='Where: for example ["body", "name"].')
    msg: str


class Error(Schema):
    detail: str = Field(description="What is wrong, in a sentence.")
    errors: list[ErrorItem] = Field(default_factory=list, description="Each problem and where.")
    current_version: int | None = Field(
        default=None,
        description="With a 409 for a change based on an older version: the version stored "
        "now (read the item again, then send the change with it).",
    )


ERROR_STATUSES = {
    400: "The request could not be read (for example, the body is not JSON).",
    401: "No valid API token (or session) was given.",
    403: "Your role in this organisation does not allow this.",
    404: "No such organisation for you, or no such item in it.",
    409: "The request conflicts with the current state (a key or name in use, a newer "
    "version, a step the item's status does not allow, or references that block a delete).",
    422: "The request is well formed but a field is not valid; ``errors`` says which.",
}


def responses(ok: dict[int, Any]) -> dict[int, Any]:
    """The operation's success responses plus every error, documented the same everywhere."""
    return {**ok, **dict.fromkeys(ERROR_STATUSES, Error)}


class Conflict(Exception):
    """409: the change clashes with what is stored."""

    def __init__(
        self,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        current_version: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.current_version = current_version


class Invalid(Exception):
    """422: fields that are not valid, each with where and what."""

    def __init__(self, errors: list[dict[str, Any]], detail: str = "") -> None:
        super().__init__(detail or "Some fields are not valid.")
        self.detail = detail or "Some fields are not valid."
        self.errors = errors


# Form errors with this code are clashes with stored items (a key or name in use): 409.
TAKEN = "taken"


def raise_form_errors(form: forms.BaseForm, *, names: dict[str, str] | None = None) -> None:
    """Turn a bound, invalid form's errors into a 409 (clashes only) or a 422."""
    names = names or {}
    errors: list[dict[str, Any]] = []
    only_clashes = True
    for field, field_errors in form.errors.as_data().items():
        loc: list[str | int] = ["body"] if field == "__all__" else ["body", names.get(field, field)]
        for error in field_errors:
            only_clashes = only_clashes and error.code == TAKEN
            errors.append({"loc": loc, "msg": " ".join(error.messages)})
    if errors and only_clashes:
        raise Conflict(errors[0]["msg"], errors)
    raise Invalid(errors)


def _body(
    request: HttpRequest,
    api: NinjaAPI,
    status: int,
    detail: str,
    errors: Any = (),
    current_version: int | None = None,
) -> Any:
    body: dict[str, Any] = {"detail": detail, "errors": list(errors)}
    if current_version is not None:
        body["current_version"] = current_version
    return api.create_response(request, body, status=status)


def _validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    found = []
    for error in exc.errors:
        loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
        # ninja puts the body under the handler's argument name: ["body", "payload", "name"].
        if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
            loc = ["body", *loc[2:]]
        found.append({"loc": loc, "msg": str(error.get("msg", "Not valid."))})
    return found


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error the API gives is ``Error``-shaped JSON."""

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 422, "Some fields are not valid.", _validation_errors(exc))

    def on_invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 422, exc.detail, exc.errors)

    def on_conflict(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 409, exc.detail, exc.errors, exc.current_version)

    def on_auth(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 401, "Give a valid API token: Authorization: Bearer <token>.")

    def on_http(request: HttpRequest, exc: Any) -> HttpResponse:
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "The request body is not valid JSON."
        return _body(request, api, exc.status_code, detail)

    def on_404(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 404, "Not found: no such organisation for you, or no such item.")

    def on_403(request: HttpRequest, exc: Any) -> HttpResponse:
        return _body(request, api, 403, str(exc) or "Your role does not allow this.")

    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(Invalid, on_invalid)
    api.add_exception_handler(Conflict, on_conflict)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(HttpError, on_http)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_403)


# --- strict input ---------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _one_line(value: str) -> str:
    if _LINE_BREAKS.search(value):
        raise ValueError("must be on one line")
    return _no_control(value)


KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Key = Annotated[str, StringConstraints(max_length=KEY_MAX_LENGTH, pattern=KEY_PATTERN)]
Line = Annotated[str, StringConstraints(max_length=200), AfterValidator(_one_line)]
Text = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_control)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_one_line)]


class Strict(Schema):
    """Request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# --- paging ---------------------------------------------------------------------------------

MAX_LIMIT = 200


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many items, at most 200.")
    offset: int = Field(0, ge=0, le=10**9, description="How many items to skip.")


def page_of(queryset: QuerySet[Any] | list[Any], query: PageQuery, render: Any) -> dict[str, Any]:
    """One page of ``queryset``: ``count`` (all matches), ``limit``, ``offset`` and ``items``.

    Two queries (the count and the slice) plus whatever ``queryset`` prefetches, whatever the
    number of matches.
    """
    count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    rows: Iterable[Any] = queryset[query.offset : query.offset + query.limit]
    return {
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
        "items": [render(row) for row in rows],
    }
