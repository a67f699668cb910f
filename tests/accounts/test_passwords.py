"""Password reset by email, and the password rules on every page that sets a password."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from catalogue import services
from catalogue.models import AuditEvent, AuditKind, Invitation, Membership
from tests.conftest import PASSWORD, Cast, client_for

from .helpers import ADDRESS, is_signed_in, sign_in

NEW_PASSWORD = "Another-long-passphrase-7"


def ask_for_link(client: Client, email: str = "member@example.org") -> object:
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ADDRESS)


def link_path(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def without_csrf(page: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def open_form(client: Client, path: str) -> str:
    """Follow the emailed link: Django moves the token into the session and redirects."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].endswith("/set-password/")
    return response["Location"]


def set_password(client: Client, form_path: str, one: str, two: str | None = None) -> object:
    return client.post(form_path, {"new_password1": one, "new_password2": two or one})


def test_the_sign_in_page_links_to_password_reset(db: None) -> None:
    page = Client().get(reverse("login")).content.decode()
    assert f'<a href="{reverse("password_reset")}">Forgot your password?</a>' in page


def test_the_reset_page_has_a_labelled_email_field(db: None) -> None:
    response = Client().get(reverse("password_reset"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<div class="page-head"><h1>Reset your password</h1></div>' in page
    assert re.search(r'<label\s+for="id_email"[^>]*>\s*Email address', page)


def test_a_known_address_gets_one_email_with_a_link_from_the_site_address(
    cast: Cast, settings
) -> None:
    settings.SITE_URL = "https://em.example.org/"
    response = ask_for_link(Client(), "Member@Example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.org"]
    assert message.subject == "Reset your Enabling Model password"
    assert "https://em.example.org/accounts/password/reset/" in message.body
    assert "within 60 minutes" in message.body
    event = AuditEvent.objects.unscoped().get(kind=AuditKind.PASSWORD_RESET)
    assert (event.user_id, event.detail, event.address) == (
        cast.member.user_id,
        "Reset link sent by email",
        ADDRESS,
    )


def test_an_unknown_address_gets_the_same_answer_and_no_email(cast: Cast) -> None:
    known, unknown = Client(), Client()
    known_response = ask_for_link(known, "member@example.org")
    unknown_response = ask_for_link(unknown, "nobody@example.org")
    assert len(mail.outbox) == 1
    assert unknown_response.status_code == known_response.status_code == 302
    assert unknown_response["Location"] == known_response["Location"]
    page = without_csrf(unknown.get(unknown_response["Location"]).content.decode())
    assert "If an account uses that address, we have sent it a link" in page
    assert page == without_csrf(known.get(known_response["Location"]).content.decode())


def test_an_invalid_address_is_refused_next_to_the_field(db: None) -> None:
    response = Client().post(reverse("password_reset"), {"email": "not an address"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert 'id="id_email"' in response.content.decode()
    assert "is-invalid" in response.content.decode()
    assert mail.outbox == []


def test_the_link_sets_a_new_password_once(cast: Cast) -> None:
    client = Client()
    ask_for_link(client)
    path = link_path(mail.outbox[0])
    form_path = open_form(client, path)
    page = client.get(form_path)
    assert page.status_code == 200
    assert "<h1>Choose a new password</h1>" in page.content.decode()

    response = set_password(client, form_path, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    user = get_user_model().objects.get(pk=cast.member.user_id)
    assert user.check_password(NEW_PASSWORD)
    assert sign_in(Client(), "member", PASSWORD).status_code == 200  # the old one is refused
    assert sign_in(Client(), "member", NEW_PASSWORD).status_code == 302
    again = Client().get(path)
    assert again.status_code == 200
    assert "<h1>This link does not work</h1>" in again.content.decode()
    assert (
        AuditEvent.objects.unscoped()
        .filter(kind=AuditKind.PASSWORD_RESET, user=user, detail="New password set")
        .exists()
    )


def test_a_weak_new_password_is_refused_next_to_it_and_nothing_changes(cast: Cast) -> None:
    client = Client()
    ask_for_link(client)
    form_path = open_form(client, link_path(mail.outbox[0]))

    response = set_password(client, form_path, "12345678")

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"new_password1"}
    assert "This password is too common." in errors["new_password1"]
    assert "This password is entirely numeric." in errors["new_password1"]
    page = response.content.decode()
    assert page.index("This password is too common.") > page.index('id="id_new_password1"')
    assert page.index("This password is too common.") < page.index('id="id_new_password2"')
    assert get_user_model().objects.get(pk=cast.member.user_id).check_password(PASSWORD)


def test_a_password_like_the_username_is_refused(cast: Cast) -> None:
    client = Client()
    ask_for_link(client)
    form_path = open_form(client, link_path(mail.outbox[0]))
    response = set_password(client, form_path, "member@example.org")
    assert response.status_code == 400
    assert "The password is too similar to the" in response.content.decode()


def test_two_different_passwords_are_refused_on_the_second(cast: Cast) -> None:
    client = Client()
    ask_for_link(client)
    form_path = open_form(client, link_path(mail.outbox[0]))
    response = set_password(client, form_path, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"new_password2"}
    assert get_user_model().objects.get(pk=cast.member.user_id).check_password(PASSWORD)


def test_a_reset_signs_out_everywhere_and_lifts_a_lockout(cast: Cast) -> None:
    laptop = client_for(cast.member)
    locked = Client()
    for _ in range(5):
        sign_in(locked, "member", "not-the-password")
    assert sign_in(locked, "member", PASSWORD).status_code == 429

    client = Client()
    ask_for_link(client)
    set_password(client, open_form(client, link_path(mail.outbox[0])), NEW_PASSWORD)

    assert not is_signed_in(laptop)
    assert sign_in(locked, "member", NEW_PASSWORD).status_code == 302


def test_a_bad_link_says_so(db: None) -> None:
    path = reverse("password_reset_confirm", args=["MQ", "not-a-token"])
    response = Client().get(path)
    assert response.status_code == 200
    assert "<h1>This link does not work</h1>" in response.content.decode()


def _invitation_link(cast: Cast) -> str:
    links: list[str] = []

    def accept_url(token: str) -> str:
        links.append(reverse("accept_invitation", args=[token]))
        return links[-1]

    services.invitation_create(
        organisation=cast.world.org,
        email="newcomer@example.org",
        role="viewer",
        teams=[],
        invited_by=cast.admin.user,
        accept_url_for=accept_url,
    )
    return links[0]


def test_an_invitation_refuses_a_weak_password_next_to_it(cast: Cast) -> None:
    link = _invitation_link(cast)
    response = Client().post(
        link, {"username": "newcomer", "password1": "password", "password2": "password"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"password1"}
    assert "This password is too common." in response.context["form"].errors["password1"]
    page = response.content.decode()
    assert page.index("This password is too common.") > page.index('id="id_password1"')
    assert page.index("This password is too common.") < page.index('id="id_password2"')
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert Invitation.objects.for_org(cast.world.org).get().accepted_at is None


def test_an_invitation_accepts_a_good_password(cast: Cast) -> None:
    link = _invitation_link(cast)
    response = Client().post(
        link, {"username": "newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert Membership.objects.for_org(cast.world.org).filter(user__username="newcomer").exists()
