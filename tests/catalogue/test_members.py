"""Organisations, invitations, roles and team membership managed in the app."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from catalogue.models import Invitation, Membership, Organisation, Role, TeamMembership
from tests import factories as f
from tests.conftest import client_for


def url(name, *args):
    return reverse(f"catalogue:{name}", args=["acme", *args])


def invite(cast, email="new.person@example.org", role="team_member", teams=()):
    return client_for(cast.admin).post(
        url("member_invite"),
        {
            "email": email,
            "role": role,
            "teams": [t.pk for t in teams],
        },
    )


def link_in(message):
    return re.search(r"http://testserver(/invitations/[^\s]+/)", message.body).group(1)


def test_admin_invites_and_the_person_sets_their_own_password(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(cast, teams=[cast.world.delivery])
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.org"]
    link = link_in(mail.outbox[0])
    invitation = Invitation.objects.for_org(cast.world.org).get()
    assert link.split("/")[2] not in invitation.token_hash  # only a hash is stored

    from django.test import Client

    client = Client()
    assert client.get(link).status_code == 200
    response = client.post(
        link,
        {
            "username": "newbie",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/"
    membership = Membership.objects.for_org(cast.world.org).get(user__username="newbie")
    assert membership.role == Role.TEAM_MEMBER
    assert (
        TeamMembership.objects.for_org(cast.world.org)
        .filter(membership=membership, team=cast.world.delivery)
        .exists()
    )
    assert client.get("/o/acme/").status_code == 200  # signed in
    # The link works once.
    assert Client().get(link).status_code == 404


def test_weak_password_is_refused_and_no_account_is_made(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(cast)
    link = link_in(mail.outbox[0])
    from django.test import Client

    response = Client().post(
        link, {"username": "newbie", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_inviting_an_existing_member_is_refused(cast):
    response = invite(cast, email=cast.viewer.user.email)
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_admin_changes_role_and_teams(cast):
    response = client_for(cast.admin).post(
        url("member_edit", cast.viewer.pk),
        {
            "role": "enabler_owner",
            "teams": [cast.world.platform.pk],
        },
    )
    assert response.status_code == 302
    cast.viewer.refresh_from_db()
    assert cast.viewer.role == "enabler_owner"
    assert list(cast.viewer.team_memberships.values_list("team__key", flat=True)) == ["platform"]


def test_team_of_another_organisation_cannot_be_given(cast):
    response = client_for(cast.admin).post(
        url("member_edit", cast.viewer.pk),
        {
            "role": "viewer",
            "teams": [cast.other.platform.pk],
        },
    )
    assert response.status_code == 400
    assert not cast.viewer.team_memberships.exists()


def test_last_admin_cannot_demote_or_remove_themselves(cast):
    client = client_for(cast.admin)
    response = client.post(url("member_edit", cast.admin.pk), {"role": "viewer"})
    assert response.status_code == 400
    client.post(url("member_remove", cast.admin.pk))
    cast.admin.refresh_from_db()
    assert cast.admin.role == "admin"


def test_removed_member_loses_access(cast):
    client_for(cast.admin).post(url("member_remove", cast.viewer.pk))
    assert client_for(cast.viewer).get("/o/acme/").status_code == 404


def test_person_in_two_organisations_switches_between_them(cast):
    Membership.objects.create(organisation=cast.other.org, user=cast.viewer.user, role="admin")
    client = client_for(cast.viewer)
    picker = client.get("/").content.decode()
    assert "Acme Ltd" in picker and "Globex Ltd" in picker
    assert client.get("/o/globex/").status_code == 200
    home = client.get("/o/acme/").content.decode()
    assert "Switch organisation" in home and "/o/globex/" in home


def test_staff_create_an_organisation_and_name_its_first_admin(
    cast, django_capture_on_commit_callbacks
):
    staff = f.UserFactory(username="staff", is_staff=True)
    from django.test import Client

    client = Client()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_organisations"),
            {
                "name": "Initech",
                "slug": "initech",
                "delivery_model": "stage",
                "admin_email": cast.viewer.user.email,
            },
        )
    assert response.status_code == 302
    initech = Organisation.objects.get(slug="initech")
    assert Membership.objects.for_org(initech).get().user == cast.viewer.user
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("staff_organisations"),
            {
                "name": "Hooli",
                "slug": "hooli",
                "admin_email": "gavin@hooli.example",
            },
        )
    assert mail.outbox[-1].to == ["gavin@hooli.example"]
    assert "as admin" in mail.outbox[-1].body


def test_staff_form_refuses_a_taken_slug(cast):
    staff = f.UserFactory(username="staff", is_staff=True)
    from django.test import Client

    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("staff_organisations"),
        {
            "name": "Another",
            "slug": "acme",
            "admin_email": "x@example.org",
        },
    )
    assert response.status_code == 400
    assert Organisation.objects.filter(name="Another").count() == 0
