"""Accounts and their audit trail: sign-ins, lockouts, sessions, role changes and refusals.

What is recorded (``AuditEvent``): every sign-in, failed sign-in, lockout and sign-out (these
belong to no organisation: an admin sees those of their own members), password resets, and
per organisation the role changes, removals and permission denials. Recording is one INSERT,
made only when the event happens, so pages that are allowed cost nothing extra.

Sessions end when their person is removed from an organisation or deactivated
(``end_sessions``), and after ``SESSION_COOKIE_AGE`` seconds without a request
(``AccountsMiddleware`` moves the expiry on, at most once per ``SESSION_REFRESH_SECONDS``,
so an ordinary page does not write its session on every request).

The receivers are connected in ``CatalogueConfig.ready``. Nothing here imports services,
access or views: they import this module.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import caches
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import AuditEvent, AuditKind, Membership, Organisation

log = logging.getLogger(__name__)

# When the signed-in person was last seen, in the session (seconds since the epoch).
LAST_SEEN_KEY = "_audit_last_seen"

# The request being served, so a permission denial deep in the access module can say where
# it happened (pages and API alike); None in tasks and commands.
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
# Users whose sessions were ended while this request ran (see AccountsMiddleware).
_ended_users: ContextVar[set[str] | None] = ContextVar("audit_ended_users", default=None)


# --- recording --------------------------------------------------------------------------------


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as the lockout sees it (same proxy settings), if it is one."""
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None)
    if address is None:
        from axes.helpers import get_client_ip_address

        address = get_client_ip_address(request)
    try:
        # PostgreSQL stores it as inet: anything else would fail the insert.
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def record(
    *,
    kind: str,
    organisation: Organisation | None = None,
    organisation_id: int | None = None,
    user: Any = None,
    user_id: int | None = None,
    username: str = "",
    request: HttpRequest | None = None,
    detail: str = "",
) -> AuditEvent:
    """One audit event; the address comes from ``request`` (or the request being served)."""
    if request is None:
        request = _current_request.get()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is not None:
        user_id = user.pk
        username = username or user.get_username()
    return AuditEvent.objects.create(
        kind=kind,
        organisation_id=organisation.pk if organisation is not None else organisation_id,
        user_id=user_id,
        username=(username or "")[:150],
        address=client_address(request),
        detail=detail[:300],
    )


def by(actor: Any) -> str:
    """ " by <username>" for an event's detail, or nothing when no person acted."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return f" by {actor.get_username()}"


def record_denial(*, membership: Membership, perm: str) -> None:
    """A member was refused ``perm`` (a 403): who, in which organisation, and where."""
    request = _current_request.get()
    where = f" at {request.method} {request.path}" if request is not None else ""
    # The access module loads the membership with its user; never a query just for the name.
    username = membership.user.get_username() if Membership.user.is_cached(membership) else ""
    record(
        kind=AuditKind.PERMISSION_DENIED,
        organisation_id=membership.organisation_id,
        user_id=membership.user_id,
        username=username,
        request=request,
        detail=f"{perm}{where}",
    )


def _user_named(username: str) -> Any:
    """The account a failed sign-in named, if there is one (for its organisations' admins)."""
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


# --- receivers ----------------------------------------------------------------------------------


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(kind=AuditKind.LOGIN, user=user, request=request)
    session = getattr(request, "session", None)
    if session is not None:
        # Seen now: the first page after signing in does not write its session again.
        session[LAST_SEEN_KEY] = int(time.time())


def on_logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(kind=AuditKind.LOGOUT, user=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")[:150]
    record(
        kind=AuditKind.LOGIN_FAILED,
        user_id=getattr(_user_named(username), "pk", None),
        username=username,
        request=request,
    )
    if request is not None:
        request._audit_failure_recorded = True  # type: ignore[attr-defined]
        pending = getattr(request, "_audit_lockout_pending", None)
        if pending is not None:
            _record_lockout(request, pending)


def on_locked_out(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    # Axes decides on the lockout inside the failed sign-in's signal, which may reach us
    # before our own record of that failure: the lockout is written after it, in order.
    if getattr(request, "_audit_failure_recorded", False):
        _record_lockout(request, username or "")
    else:
        request._audit_lockout_pending = username or ""  # type: ignore[attr-defined]


def _record_lockout(request: HttpRequest, username: str) -> None:
    name = username[:150]
    record(
        kind=AuditKind.LOCKED_OUT,
        user_id=getattr(_user_named(name), "pk", None),
        username=name,
        request=request,
        detail=f"{settings.AXES_FAILURE_LIMIT} failed sign-ins from this address",
    )
    request._audit_lockout_pending = None  # type: ignore[attr-defined]


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A deactivated account keeps no session (Django would refuse it; this removes it)."""
    if not created and not instance.is_active:
        end_sessions(user_id=instance.pk)


def connect() -> None:
    """Connect the receivers (from CatalogueConfig.ready)."""
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    post_save.connect(on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit_user")


# --- sessions -----------------------------------------------------------------------------------


def end_sessions(*, user_id: int) -> int:
    """Delete every session of one user, so their next request meets the sign-in page.

    Sessions are stored by key, not by user, so the unexpired ones are read once and decoded
    (one query, whatever the user has). Returns how many were ended. With a session engine
    that cannot be listed (cache or signed cookies) nothing can be deleted: logged, and
    Django's own checks (inactive users, changed passwords) still apply.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store_class, "get_model_class", None)
    if get_model is None:
        log.warning("Sessions of user %s not ended: %s cannot list sessions", user_id, store_class)
        return 0
    model = get_model()
    decoder = store_class()
    wanted = str(user_id)
    keys = [
        key
        for key, data in model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=2000)
        if str(decoder.decode(data).get(SESSION_KEY)) == wanted
    ]
    if keys:
        model.objects.filter(session_key__in=keys).delete()
        prefix = getattr(store_class, "cache_key_prefix", None)
        if prefix is not None:  # cached_db: the cache would otherwise keep them alive
            caches[settings.SESSION_CACHE_ALIAS].delete_many([prefix + key for key in keys])
    ended = _ended_users.get()
    if ended is not None:
        ended.add(wanted)
    return len(keys)


class AccountsMiddleware:
    """Per request: remember it for the audit, keep the session alive, drop ended sessions.

    Idle timeout: the session's expiry is ``SESSION_COOKIE_AGE`` after it was last saved, and
    a signed-in request saves it again when ``SESSION_REFRESH_SECONDS`` have passed since the
    last time, so the session ends that long after the last request (idle time), at the cost
    of one write per person per refresh interval rather than one per request.

    If the request itself ended its own session (a member removing themselves, an admin
    deactivating their own account), the session is flushed rather than saved, which would
    fail on the deleted row.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_token = _current_request.set(request)
        ended_token = _ended_users.set(set())
        try:
            self._keep_alive(request)
            response = self.get_response(request)
            self._drop_if_ended(request)
            return response
        finally:
            _current_request.reset(request_token)
            _ended_users.reset(ended_token)

    @staticmethod
    def _keep_alive(request: HttpRequest) -> None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return  # no session to keep (and no query to find that out)
        session = request.session
        if session.get(SESSION_KEY) is None:
            return
        now = int(time.time())
        if now - int(session.get(LAST_SEEN_KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
            session[LAST_SEEN_KEY] = now  # modified: saved, and its expiry moves on

    @staticmethod
    def _drop_if_ended(request: HttpRequest) -> None:
        ended = _ended_users.get()
        if ended and str(request.session.get(SESSION_KEY)) in ended:
            request.session.flush()


# --- lockout page ---------------------------------------------------------------------------------


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """Axes' answer to a locked-out sign-in: our page, saying for how long."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "crumbs": [("Sign in", "")]},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# --- reading -------------------------------------------------------------------------------------


def events_for(*, organisation: Organisation, kind: str = "") -> QuerySet[AuditEvent]:
    """The organisation's events, and the sign-in events of its current members, newest first.

    Sign-ins belong to no organisation; an admin sees those of people who are members now,
    never those of anyone else (a person in two organisations is seen by both).
    """
    members = Membership.objects.for_org(organisation).values("user_id")
    events = (
        AuditEvent.objects.unscoped()  # explicit filter below: this organisation and its members
        .filter(Q(organisation=organisation) | Q(organisation=None, user_id__in=members))
        .select_related("user")
        .order_by("-at", "-id")
    )
    return events.filter(kind=kind) if kind else events
