"""Sessions: a new key at sign-in, gone at sign-out, removal or deactivation, and when idle."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalogue import audit
from catalogue import models as m
from tests.conftest import PASSWORD, Cast, add_member, client_for

from .helpers import is_signed_in, session_key, sign_in


def sessions_of(user_id: int) -> list[str]:
    return [
        s.session_key
        for s in Session.objects.all()
        if s.get_decoded().get("_auth_user_id") == str(user_id)
    ]


def test_signing_in_gives_a_new_session_key_and_drops_the_old_one(cast: Cast) -> None:
    client = Client()
    anonymous = client.session
    anonymous["before-sign-in"] = True
    anonymous.save()
    before = anonymous.session_key
    assert session_key(client) == before

    assert sign_in(client, "member", PASSWORD).status_code == 302

    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert sessions_of(cast.member.user_id) == [after]


def test_signing_out_ends_the_session_on_the_server(cast: Cast) -> None:
    client = Client()
    sign_in(client, "member", PASSWORD)
    key = session_key(client)

    assert client.post(reverse("logout")).status_code == 302

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, kept by someone
    assert not is_signed_in(replay)


def test_removing_a_member_signs_them_out_of_every_session(cast: Cast) -> None:
    laptop, phone = client_for(cast.member), client_for(cast.member)
    bystander = client_for(cast.viewer)
    assert is_signed_in(laptop) and is_signed_in(phone)

    response = client_for(cast.admin).post(
        reverse("catalogue:member_remove", args=["acme", cast.member.pk])
    )

    assert response.status_code == 302
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert sessions_of(cast.member.user_id) == []
    assert is_signed_in(bystander)


def test_a_member_who_leaves_is_signed_out_without_an_error(cast: Cast) -> None:
    add_member(cast.world.org, "second-admin", m.Role.ADMIN)
    client = client_for(cast.admin)

    response = client.post(reverse("catalogue:member_remove", args=["acme", cast.admin.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not is_signed_in(client)
    assert sessions_of(cast.admin.user_id) == []


def test_deactivating_an_account_ends_its_sessions(cast: Cast) -> None:
    client = client_for(cast.member)
    bystander = client_for(cast.viewer)
    user = cast.member.user
    user.is_active = False
    user.save()

    assert sessions_of(user.pk) == []
    assert not is_signed_in(client)
    assert is_signed_in(bystander)


def test_saving_an_active_account_keeps_its_sessions(cast: Cast) -> None:
    client = client_for(cast.member)
    user = cast.member.user
    user.first_name = "Mo"
    user.save()
    assert is_signed_in(client)


def test_a_session_expires_after_the_idle_time(cast: Cast, settings) -> None:
    settings.SESSION_COOKIE_AGE = 600
    client = Client()
    sign_in(client, "member", PASSWORD)
    session = Session.objects.get(session_key=session_key(client))
    left = session.expire_date - timezone.now()
    assert timedelta(seconds=590) < left <= timedelta(seconds=600)

    # Ten minutes without a request: the session has expired.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not is_signed_in(client)


def test_a_request_after_the_refresh_interval_moves_the_expiry_on(cast: Cast, settings) -> None:
    settings.SESSION_COOKIE_AGE = 600
    settings.SESSION_REFRESH_SECONDS = 60
    client = Client()
    sign_in(client, "member", PASSWORD)
    key = session_key(client)
    # Last seen two minutes ago, eight minutes of idle time used up.
    store = client.session
    store[audit.LAST_SEEN_KEY] -= 120
    store.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(seconds=120))

    assert is_signed_in(client)

    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert left > timedelta(seconds=590)


def test_requests_within_the_refresh_interval_do_not_write_the_session(
    cast: Cast, settings
) -> None:
    settings.SESSION_REFRESH_SECONDS = 60
    client = Client()
    sign_in(client, "admin", PASSWORD)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("catalogue:home", args=["acme"])).status_code == 200
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []


def test_the_session_cookie_lasts_the_idle_time(cast: Cast, settings) -> None:
    settings.SESSION_COOKIE_AGE = 600
    client = Client()
    sign_in(client, "member", PASSWORD)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 600
