"""Notifications: the list and mark as read, the count in the navigation, the email digest,
the round due-date reminders, and the periodic jobs run from web requests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from assessments import middleware, services
from assessments.models import (
    AssessmentRound,
    BottleneckFlag,
    Notification,
    NotificationKind,
)
from assessments.tasks import send_notification_digests, send_round_reminders
from catalogue import models as m
from tests.conftest import Cast, add_member, client_for


def url(name: str, *args: object, org: str = "acme") -> str:
    return reverse(f"assessments:{name}", args=[org, *args])


def tell(membership: m.Membership, text: str = "Something happened", **extra: Any) -> Notification:
    """One notification for the member, in the member's organisation."""
    return services.notify(
        organisation=membership.organisation,
        recipients=[membership.user],
        kind=extra.pop("kind", NotificationKind.FLAG_RAISED),
        text=text,
        url=extra.pop("url", "/somewhere/"),
        **extra,
    )[0]


def notes_of(membership: m.Membership) -> Any:
    return Notification.objects.for_org(membership.organisation).filter(recipient=membership.user)


def raise_flags(cast: Cast, n: int) -> list[BottleneckFlag]:
    """A burst of flags raised by the delivery team (the member) on payments."""
    return [
        services.flag_raise(
            organisation=cast.world.org,
            team=cast.world.delivery,
            enabler=cast.world.payments,
            offering=cast.world.shop,
            journey=None,
            severity="high",
            summary=f"Checkout times out {i}",
            details="",
            actor=cast.member.user,
        )
        for i in range(1, n + 1)
    ]


def second_platform_member(cast: Cast) -> m.Membership:
    return add_member(cast.world.org, "platform2", m.Role.TEAM_MEMBER, cast.world.platform)


def unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)', html)
    return found.group(1) if found else None


# --- the list ---------------------------------------------------------------------------------


def test_member_sees_their_notifications_newest_first(cast: Cast) -> None:
    older = tell(cast.member, "Older news")
    Notification.objects.for_org(cast.world.org).filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    tell(cast.member, "Newer news")

    response = client_for(cast.member).get(url("notification_list"))

    assert response.status_code == 200
    texts = [n.text for n in response.context["page"].object_list]
    assert texts == ["Newer news", "Older news"]
    html = response.content.decode()
    assert "<h1>Notifications</h1>" in html
    assert "2 hours ago" in html.replace("\xa0", " ")
    assert 'href="/somewhere/"' in html


def test_unread_ones_are_marked_new_and_read_ones_are_not(cast: Cast) -> None:
    tell(cast.member, "Unread news")
    read = tell(cast.member, "Read news")
    services.notifications_mark_read(
        organisation=cast.world.org, user=cast.member.user, ids=[read.pk]
    )

    html = client_for(cast.member).get(url("notification_list")).content.decode()

    assert html.count(">New</span>") == 1
    assert html.count('data-unread="yes"') == 1 and html.count('data-unread="no"') == 1
    assert html.count("Mark as read<") == 1


def test_viewer_sees_their_own_notifications(cast: Cast) -> None:
    tell(cast.viewer, "For the viewer")
    response = client_for(cast.viewer).get(url("notification_list"))
    assert response.status_code == 200
    assert "For the viewer" in response.content.decode()


def test_never_shows_another_persons_notifications(cast: Cast) -> None:
    tell(cast.owner, "Only for the owner")
    tell(cast.member, "For the member")

    html = client_for(cast.member).get(url("notification_list")).content.decode()

    assert "For the member" in html
    assert "Only for the owner" not in html


def test_never_shows_notifications_of_another_organisation(cast: Cast) -> None:
    # The member also belongs to globex; acme's page shows only acme's notifications.
    globex = m.Membership.objects.create(
        organisation=cast.other.org, user=cast.member.user, role=m.Role.VIEWER
    )
    tell(globex, "Globex news")
    tell(cast.member, "Acme news")

    html = client_for(cast.member).get(url("notification_list")).content.decode()

    assert "Acme news" in html and "Globex news" not in html


def test_outsider_gets_404_even_with_notifications_of_their_own(cast: Cast) -> None:
    tell(cast.outsider, "Globex news")
    client = client_for(cast.outsider)
    assert client.get(url("notification_list")).status_code == 404
    assert client.post(url("notifications_read")).status_code == 404
    assert notes_of(cast.outsider).get().read_at is None


def test_empty_list_says_what_you_will_be_told(cast: Cast) -> None:
    html = client_for(cast.member).get(url("notification_list")).content.decode()
    assert "Nothing yet. You are told here when someone flags an enabler your team owns" in html
    assert "Mark all as read" not in html


def test_unread_only_filter_leaves_out_read_ones(cast: Cast) -> None:
    tell(cast.member, "Still new")
    read = tell(cast.member, "Seen already")
    services.notifications_mark_read(
        organisation=cast.world.org, user=cast.member.user, ids=[read.pk]
    )

    response = client_for(cast.member).get(url("notification_list"), {"unread": "1"})

    assert [n.text for n in response.context["page"].object_list] == ["Still new"]


def test_unread_only_with_everything_read_offers_the_full_list(cast: Cast) -> None:
    tell(cast.member)
    services.notifications_mark_read(organisation=cast.world.org, user=cast.member.user)
    html = client_for(cast.member).get(url("notification_list"), {"unread": "1"}).content.decode()
    assert "You have read everything" in html


def test_the_list_is_paginated(cast: Cast) -> None:
    for i in range(30):
        tell(cast.member, f"News {i}")
    client = client_for(cast.member)

    first = client.get(url("notification_list"))
    second = client.get(url("notification_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_htmx_gets_only_the_list(cast: Cast) -> None:
    tell(cast.member, "Partial news")
    response = client_for(cast.member).get(url("notification_list"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="notes"' in html and "Partial news" in html
    assert "<h1>" not in html
    assert "HX-Request" in response["Vary"]


def test_the_list_runs_the_same_queries_however_many_notifications(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    client = client_for(cast.member)
    tell(cast.member)
    client.get(url("notification_list"))  # warm the session
    with django_assert_num_queries(6) as few:
        client.get(url("notification_list"))
    for i in range(40):
        tell(cast.member, f"More news {i}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url("notification_list"))


# --- mark as read, and the count in the navigation ---------------------------------------


def test_the_navigation_shows_the_unread_count(cast: Cast) -> None:
    tell(cast.member)
    tell(cast.member)
    tell(cast.owner)  # someone else's: not counted
    read = tell(cast.member)  # read already: not counted
    read.read_at = read.created_at
    read.save(update_fields=["read_at"])
    # The same person's in another organisation: counted there, not here.
    services.notify(
        organisation=cast.other.org,
        recipients=[cast.member.user],
        kind=NotificationKind.FLAG_RAISED,
        text="Elsewhere",
        url="/elsewhere/",
    )
    home = reverse("catalogue:home", args=["acme"])
    assert unread_badge(client_for(cast.member).get(home).content.decode()) == "2"


def test_mark_all_as_read_clears_the_count(cast: Cast) -> None:
    tell(cast.member)
    tell(cast.member)
    client = client_for(cast.member)

    response = client.post(url("notifications_read"), follow=True)

    assert response.redirect_chain[-1][0] == url("notification_list")
    html = response.content.decode()
    assert "Marked 2 notifications as read." in html
    assert unread_badge(html) is None
    home = reverse("catalogue:home", args=["acme"])
    assert unread_badge(client.get(home).content.decode()) is None
    assert not notes_of(cast.member).filter(read_at=None).exists()


def test_mark_all_as_read_leaves_other_people_and_organisations_alone(cast: Cast) -> None:
    globex = m.Membership.objects.create(
        organisation=cast.other.org, user=cast.member.user, role=m.Role.VIEWER
    )
    tell(cast.member)
    theirs = tell(cast.owner)
    elsewhere = tell(globex)

    client_for(cast.member).post(url("notifications_read"))

    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.read_at is None and elsewhere.read_at is None


def test_mark_one_as_read(cast: Cast) -> None:
    one, other = tell(cast.member, "One"), tell(cast.member, "Other")

    response = client_for(cast.member).post(url("notifications_read"), {"id": one.pk}, follow=True)

    one.refresh_from_db()
    other.refresh_from_db()
    assert one.read_at is not None and other.read_at is None
    assert "Marked as read." in response.content.decode()
    assert unread_badge(response.content.decode()) == "1"


def test_ids_of_other_peoples_notifications_are_ignored(cast: Cast) -> None:
    theirs = tell(cast.owner, "Owner's")

    response = client_for(cast.member).post(url("notifications_read"), {"id": theirs.pk})

    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_malformed_id_marks_nothing_rather_than_everything(cast: Cast) -> None:
    tell(cast.member)
    client_for(cast.member).post(url("notifications_read"), {"id": ["x", "-1", "9" * 30]})
    assert notes_of(cast.member).filter(read_at=None).count() == 1


def test_reading_by_get_changes_nothing_and_leads_back(cast: Cast) -> None:
    tell(cast.member)
    response = client_for(cast.member).get(url("notifications_read"))
    assert response.status_code == 302
    assert response["Location"] == url("notification_list")
    assert notes_of(cast.member).get().read_at is None


def test_mark_as_read_goes_back_to_a_local_next(cast: Cast) -> None:
    tell(cast.member)
    back = url("notification_list") + "?unread=1&page=2"
    response = client_for(cast.member).post(url("notifications_read"), {"next": back})
    assert response["Location"] == back


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_mark_as_read_never_redirects_off_site(cast: Cast, elsewhere: str) -> None:
    response = client_for(cast.member).post(url("notifications_read"), {"next": elsewhere})
    assert response["Location"] == url("notification_list")


def test_flags_raised_show_for_the_owner_team_not_the_raiser(cast: Cast) -> None:
    raise_flags(cast, 1)
    owner_html = client_for(cast.owner).get(url("notification_list")).content.decode()
    member_page = client_for(cast.member).get(url("notification_list"))
    assert "Delivery flagged Payments (high): Checkout times out 1" in owner_html
    assert member_page.context["page"].paginator.count == 0


# --- the email digest ---------------------------------------------------------------------


def test_a_burst_of_flags_gives_each_owner_team_member_one_digest(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    second = second_platform_member(cast)
    raise_flags(cast, 5)

    sent = services.digests_send()

    assert sent == 2
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        cast.owner.user.email,
        second.user.email,
    ]
    for mail in mailoutbox:
        assert mail.subject == "Enabling Model: 5 updates for you"
        for i in range(1, 6):
            assert f"Checkout times out {i}" in mail.body
    assert cast.member.user.email not in [mail.to[0] for mail in mailoutbox]


def test_a_second_digest_run_sends_nothing_new(cast: Cast, mailoutbox: list[Any]) -> None:
    raise_flags(cast, 5)
    assert services.digests_send() == 1
    assert services.digests_send() == 0
    assert len(mailoutbox) == 1


def test_the_digest_task_sends_digests(
    cast: Cast, mailoutbox: list[Any], eager_tasks: None
) -> None:
    raise_flags(cast, 3)
    assert send_notification_digests.apply().get() == 1
    assert send_notification_digests.apply().get() == 0
    assert len(mailoutbox) == 1


def test_the_digest_has_absolute_links_grouped_by_organisation(
    cast: Cast, mailoutbox: list[Any], settings: Any
) -> None:
    settings.SITE_URL = "https://em.example/"
    globex = m.Membership.objects.create(
        organisation=cast.other.org, user=cast.owner.user, role=m.Role.VIEWER
    )
    flag = raise_flags(cast, 1)[0]
    tell(globex, "Globex news", url="/o/globex/flags/")

    services.digests_send()

    (mail,) = mailoutbox
    body = mail.body
    assert body.startswith("Hello owner,")
    assert f"https://em.example{flag.get_absolute_url()}" in body
    assert "https://em.example/o/globex/flags/" in body
    assert "https://em.example" + url("notification_list") in body
    assert body.index("Acme Ltd") < body.index("Checkout times out 1") < body.index("Globex Ltd")
    assert body.index("Globex Ltd") < body.index("Globex news")
    assert "at most one email like this every 5 minutes" in body
    assert "&amp;" not in body and "&#x27;" not in body


def test_a_single_update_is_named_in_the_subject(cast: Cast, mailoutbox: list[Any]) -> None:
    tell(cast.owner, "Delivery flagged Payments\nsneaky header")
    services.digests_send()
    assert mailoutbox[0].subject == "Enabling Model: Delivery flagged Payments sneaky header"


def test_people_without_email_get_none_but_their_notifications_count_as_emailed(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    cast.owner.user.email = ""
    cast.owner.user.save()
    raise_flags(cast, 2)

    assert services.digests_send() == 0

    assert mailoutbox == []
    assert not notes_of(cast.owner).filter(emailed_at=None).exists()


def test_notifications_already_read_in_the_app_are_not_emailed(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    raise_flags(cast, 2)
    services.notifications_mark_read(organisation=cast.world.org, user=cast.owner.user)

    assert services.digests_send() == 0
    assert mailoutbox == []
    assert not notes_of(cast.owner).filter(emailed_at=None).exists()


def test_people_who_left_the_organisation_are_not_emailed_about_it(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    tell(cast.owner, "Before leaving")
    cast.owner.delete()
    assert services.digests_send() == 0
    assert mailoutbox == []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("the mail server is down")


def test_a_failed_digest_is_tried_again_on_the_next_run(
    cast: Cast, mailoutbox: list[Any], settings: Any
) -> None:
    raise_flags(cast, 3)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    assert services.digests_send() == 0
    assert notes_of(cast.owner).filter(emailed_at=None).count() == 3

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.digests_send() == 1
    assert "Checkout times out 3" in mailoutbox[0].body


def test_notifications_claimed_by_another_run_are_left_to_it(
    cast: Cast, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another run claims one of the owner's notifications between this run's read and its
    # claim: this run sends the rest, once, and the other run's one is not sent twice.
    first, _ = raise_flags(cast, 2)
    real = services.Membership.objects.unscoped

    def other_run_claims_one() -> Any:
        Notification.objects.for_org(cast.world.org).filter(flag=first).update(
            emailed_at=timezone.now() - timedelta(seconds=1)
        )
        return real()

    monkeypatch.setattr(services.Membership.objects, "unscoped", other_run_claims_one)

    assert services.digests_send() == 1

    (mail,) = mailoutbox
    assert "Checkout times out 2" in mail.body and "Checkout times out 1" not in mail.body
    assert not notes_of(cast.owner).filter(emailed_at=None).exists()


# --- round due-date reminders -------------------------------------------------------------


def open_round(cast: Cast, days: int | None) -> AssessmentRound:
    due = None if days is None else timezone.localdate() + timedelta(days=days)
    return services.round_open(
        organisation=cast.world.org, name="2026 Q4", due_on=due, actor=cast.leader.user
    )


def reminders(cast: Cast) -> Any:
    return Notification.objects.for_org(cast.world.org).filter(kind=NotificationKind.ROUND_REMINDER)


def test_a_round_due_soon_reminds_teams_with_enablers_left_to_assess(cast: Cast) -> None:
    assessment_round = open_round(cast, 2)

    assert services.round_reminders_send() == 1

    (note,) = reminders(cast)
    assert note.recipient == cast.member.user
    assert note.round == assessment_round
    assert note.url == url("round_team", assessment_round.key, "delivery")
    assert note.text.startswith("Delivery has 1 enabler left to assess in “2026 Q4”, due ")


def test_a_round_reminds_only_once(cast: Cast) -> None:
    open_round(cast, 2)
    services.round_reminders_send()
    assert services.round_reminders_send() == 0
    assert reminders(cast).count() == 1


def test_the_reminder_task_reminds_once(cast: Cast, eager_tasks: None) -> None:
    open_round(cast, 1)
    assert send_round_reminders.apply().get() == 1
    assert send_round_reminders.apply().get() == 0


def test_a_round_due_later_does_not_remind_yet(cast: Cast) -> None:
    open_round(cast, 10)
    assert services.round_reminders_send() == 0
    assert not reminders(cast).exists()


def test_a_round_with_no_due_date_never_reminds(cast: Cast) -> None:
    open_round(cast, None)
    assert services.round_reminders_send() == 0


def test_a_closed_round_does_not_remind(cast: Cast) -> None:
    assessment_round = open_round(cast, 2)
    services.round_close(assessment_round=assessment_round, actor=cast.leader.user)
    assert services.round_reminders_send() == 0


def test_a_team_that_assessed_everything_is_not_reminded(cast: Cast) -> None:
    assessment_round = open_round(cast, 2)
    services.assessment_save(
        assessment_round=assessment_round,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        fit=4,
        pace=1,
        preferred="",
        comment="",
        actor=cast.member.user,
    )
    assert services.round_reminders_send() == 0
    assert not reminders(cast).exists()


def test_a_moved_due_date_reminds_again(cast: Cast) -> None:
    assessment_round = open_round(cast, 2)
    services.round_reminders_send()

    services.round_update(
        assessment_round=assessment_round,
        name=assessment_round.name,
        due_on=timezone.localdate() + timedelta(days=1),
        actor=cast.leader.user,
    )

    assert services.round_reminders_send() == 1
    assert reminders(cast).count() == 2


def test_renaming_a_round_does_not_remind_again(cast: Cast) -> None:
    assessment_round = open_round(cast, 2)
    services.round_reminders_send()
    assessment_round.refresh_from_db()  # as the edit page loads it
    services.round_update(
        assessment_round=assessment_round,
        name="Renamed",
        due_on=assessment_round.due_on,
        actor=cast.leader.user,
    )
    assert services.round_reminders_send() == 0


def test_the_reminder_reaches_the_inbox_in_the_next_digest(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    assessment_round = open_round(cast, 2)
    services.round_reminders_send()
    services.digests_send()
    (mail,) = mailoutbox
    assert mail.to == [cast.member.user.email]
    assert url("round_team", assessment_round.key, "delivery") in mail.body


# --- periodic jobs from web requests (the embedded default) ---------------------------------


@pytest.fixture
def jobs_in_web(settings: Any, monkeypatch: pytest.MonkeyPatch, eager_tasks: None) -> None:
    settings.RUN_PERIODIC_JOBS_IN_WEB = True
    monkeypatch.setattr(middleware, "_last_run", {})


def test_a_request_runs_the_due_jobs_once(
    cast: Cast, mailoutbox: list[Any], jobs_in_web: None
) -> None:
    raise_flags(cast, 2)
    client = client_for(cast.viewer)

    client.get(url("notification_list"))

    assert len(mailoutbox) == 1 and mailoutbox[0].to == [cast.owner.user.email]
    # More news within the interval waits for the next digest.
    raise_flags(cast, 1)
    client.get(url("notification_list"))
    assert len(mailoutbox) == 1
    assert notes_of(cast.owner).filter(emailed_at=None).count() == 1


def test_the_jobs_run_again_after_their_interval(
    cast: Cast, mailoutbox: list[Any], jobs_in_web: None, settings: Any
) -> None:
    client = client_for(cast.viewer)
    client.get(url("notification_list"))  # runs the jobs: nothing to send yet
    raise_flags(cast, 1)
    interval = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]["schedule"]
    # Pretend the last run was one interval ago.
    for name in middleware._last_run:
        middleware._last_run[name] -= interval

    client.get(url("notification_list"))

    assert len(mailoutbox) == 1


def test_no_jobs_run_from_requests_when_turned_off(
    cast: Cast, mailoutbox: list[Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.RUN_PERIODIC_JOBS_IN_WEB = False
    monkeypatch.setattr(middleware, "_last_run", {})
    raise_flags(cast, 1)
    client_for(cast.viewer).get(url("notification_list"))
    assert mailoutbox == []


def test_the_badge_counts_this_organisations_unread_only(cast: Cast) -> None:
    """Another organisation's notifications of the same person, and read ones, do not
    count."""
    elsewhere = add_member(cast.other.org, "member", m.Role.VIEWER)  # acme's member, in globex
    assert elsewhere.user_id == cast.member.user_id
    for text in ("One", "Two", "Three"):
        tell(elsewhere, text)
    tell(cast.member, "Here")
    read = tell(cast.member, "Read already")
    Notification.objects.for_org(cast.world.org).filter(pk=read.pk).update(read_at=timezone.now())
    client = client_for(cast.member)
    assert (
        unread_badge(client.get(reverse("catalogue:home", args=["acme"])).content.decode()) == "1"
    )
    assert (
        unread_badge(client.get(reverse("catalogue:home", args=["globex"])).content.decode()) == "3"
    )
