"""Bottleneck flags in the browser: raising, responding, commenting, the list and the panels.

The cast (tests/conftest.py): the member is in ``delivery`` (owns offering ``shop`` and
enabler ``search``); the owner is an enabler owner in ``platform`` (owns ``payments`` and
``warehouse``); ``shop`` uses ``payments``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import (
    BottleneckFlag,
    FlagAction,
    FlagComment,
    FlagStatus,
    Notification,
    NotificationKind,
)
from assessments.views.flags import duration_words
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, add_member, client_for


def url(name: str, *args: object) -> str:
    return reverse(f"assessments:{name}", args=["acme", *args])


def flags(c: Cast) -> Any:
    return BottleneckFlag.objects.for_org(c.world.org)


def generation(c: Cast) -> int:
    return m.Organisation.objects.get(pk=c.world.org.pk).generation


def raise_flag(
    c: Cast,
    *,
    enabler: m.Enabler | None = None,
    team: m.Team | None = None,
    summary: str = "Payments slow our checkout",
    severity: str = "high",
    offering: m.Offering | None = None,
    by: m.Membership | None = None,
) -> BottleneckFlag:
    return services.flag_raise(
        organisation=c.world.org,
        team=team or c.world.delivery,
        enabler=enabler or c.world.payments,
        offering=offering,
        journey=None,
        severity=severity,
        summary=summary,
        details="It takes a week to get a change in.",
        actor=(by or c.member).user,
    )


def raise_elsewhere(c: Cast, summary: str) -> BottleneckFlag:
    """A flag in the other organisation, on its payments, raised by its delivery team."""
    return services.flag_raise(
        organisation=c.other.org,
        team=c.other.delivery,
        enabler=c.other.payments,
        offering=None,
        journey=None,
        severity="high",
        summary=summary,
        details="",
        actor=c.outsider.user,
    )


def form(c: Cast, **changes: str) -> dict[str, str]:
    data = {
        "team": "delivery",
        "enabler": "payments",
        "offering": "shop",
        "journey": "weekly-shop",
        "severity": "blocking",
        "summary": "Payments release train is monthly",
        "details": "We wait weeks for a change to the payment page.",
    }
    return {**data, **changes}


def notes_for(membership: m.Membership, kind: str | None = None) -> Any:
    notes = Notification.objects.for_org(membership.organisation).filter(recipient=membership.user)
    return notes.filter(kind=kind) if kind else notes


# --- raising a flag ---------------------------------------------------------------------------


def test_member_raises_a_flag_for_their_team(cast: Cast) -> None:
    before = generation(cast)

    response = client_for(cast.member).post(url("flag_raise"), form(cast))

    flag = flags(cast).get()
    assert response.status_code == 302
    assert response["Location"] == flag.get_absolute_url()
    assert (flag.team, flag.enabler, flag.offering, flag.journey) == (
        cast.world.delivery,
        cast.world.payments,
        cast.world.shop,
        cast.world.journey,
    )
    assert flag.severity == "blocking" and flag.status == FlagStatus.OPEN
    assert flag.raised_by == cast.member.user
    # The owner is in platform, which owns payments: they are told.
    told = notes_for(cast.owner, NotificationKind.FLAG_RAISED).get()
    assert told.flag == flag
    assert not notes_for(cast.member).exists()
    assert generation(cast) == before + 1


def test_raising_a_flag_says_who_was_told(cast: Cast) -> None:
    response = client_for(cast.member).post(url("flag_raise"), form(cast), follow=True)
    assert "The Platform team has been told." in response.content.decode()


def test_member_cannot_flag_for_another_team(cast: Cast) -> None:
    before = generation(cast)

    response = client_for(cast.member).post(url("flag_raise"), form(cast, team="platform"))

    assert response.status_code == 403
    assert not flags(cast).exists()
    assert not Notification.objects.for_org(cast.world.org).exists()
    assert generation(cast) == before


def test_raise_form_offers_only_the_teams_the_person_acts_for(cast: Cast) -> None:
    member_teams = client_for(cast.member).get(url("flag_raise")).context["form"]
    leader_teams = client_for(cast.leader).get(url("flag_raise")).context["form"]
    assert [t.key for t in member_teams.fields["team"].queryset] == ["delivery"]
    assert [t.key for t in leader_teams.fields["team"].queryset] == ["delivery", "platform"]


def test_leader_flags_for_any_team(cast: Cast) -> None:
    response = client_for(cast.leader).post(
        url("flag_raise"), form(cast, team="platform", offering="warehouse")
    )
    assert response.status_code == 302
    assert flags(cast).get().team == cast.world.platform


def test_a_flag_names_one_of_the_raising_teams_offerings(cast: Cast) -> None:
    response = client_for(cast.leader).post(
        url("flag_raise"), form(cast, team="platform", offering="shop")
    )
    assert response.status_code == 400
    assert "Choose one of Platform" in response.content.decode()
    assert not flags(cast).exists()


def test_a_retired_enabler_cannot_be_flagged(cast: Cast) -> None:
    m.Enabler.objects.for_org(cast.world.org).filter(key="payments").update(lifecycle="retired")
    response = client_for(cast.member).post(url("flag_raise"), form(cast))
    assert response.status_code == 400
    assert "flags count only on proposed and active enablers" in response.content.decode()
    assert not flags(cast).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_viewer_cannot_raise_a_flag(cast: Cast, method: str) -> None:
    response = getattr(client_for(cast.viewer), method)(url("flag_raise"), form(cast))
    assert response.status_code == 403
    assert not flags(cast).exists()


def test_member_in_no_team_is_told_to_join_one(cast: Cast) -> None:
    loner = add_member(cast.world.org, "loner", m.Role.TEAM_MEMBER)

    response = client_for(loner).get(url("flag_raise"))

    assert response.status_code == 403
    assert "not in any team" in response.content.decode()


def test_raise_form_is_prefilled_from_the_query_string(cast: Cast) -> None:
    response = client_for(cast.member).get(
        url("flag_raise"), {"enabler": "payments", "offering": "shop", "journey": "weekly-shop"}
    )

    initial = response.context["form"].initial
    assert initial == {
        "enabler": "payments",
        "offering": "shop",
        "journey": "weekly-shop",
        "team": "delivery",
    }
    assert '<option value="payments" selected>' in response.content.decode()
    # Cancel goes back to where the flag was started.
    assert response.context["cancel_url"] == reverse(
        "catalogue:enabler_detail", args=["acme", "payments"]
    )


def test_raise_form_takes_the_team_from_the_query_string_only_when_allowed(cast: Cast) -> None:
    leader = client_for(cast.leader).get(url("flag_raise"), {"team": "platform"})
    member = client_for(cast.member).get(url("flag_raise"), {"team": "platform"})
    assert leader.context["form"].initial["team"] == "platform"
    assert member.context["form"].initial["team"] == "delivery"  # their only team


def test_raise_form_shows_errors_next_to_the_fields(cast: Cast) -> None:
    response = client_for(cast.member).post(
        url("flag_raise"), form(cast, summary="", enabler="no-such-enabler")
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"summary", "enabler"}
    assert not flags(cast).exists()


def test_a_flag_summarised_new_does_not_hide_behind_the_raise_page(cast: Cast) -> None:
    flag = raise_flag(cast, summary="New")
    assert flag.key != "new"
    assert client_for(cast.viewer).get(flag.get_absolute_url()).context["flag"] == flag


# --- outsiders --------------------------------------------------------------------------------

FLAG_URLS = [
    ("flag_list", "get", False),
    ("flag_raise", "get", False),
    ("flag_raise", "post", False),
    ("flag_detail", "get", True),
    ("flag_comment", "get", True),
    ("flag_comment", "post", True),
    ("flag_transition", "get", True),
    ("flag_transition", "post", True),
]


@pytest.mark.parametrize(("name", "method", "on_flag"), FLAG_URLS)
def test_outsider_gets_404_on_every_flag_url(
    cast: Cast, name: str, method: str, on_flag: bool
) -> None:
    flag = raise_flag(cast)
    args: list[str] = [flag.key] if on_flag else []
    if name == "flag_transition":
        args.append("resolve")
    data = {**form(cast), "body": "hello", "note": "hello"}

    response = getattr(client_for(cast.outsider), method)(url(name, *args), data)

    assert response.status_code == 404
    assert flags(cast).get().status == FlagStatus.OPEN
    assert not FlagComment.objects.for_org(cast.world.org).exists()


def test_outsider_cannot_reach_an_acme_flag_through_their_own_organisation(cast: Cast) -> None:
    flag = raise_flag(cast)
    other = reverse("assessments:flag_detail", args=["globex", flag.key])
    assert client_for(cast.outsider).get(other).status_code == 404


# --- responding -------------------------------------------------------------------------------


def transition(client: Any, flag: BottleneckFlag, action: str, note: str = "") -> Any:
    return client.post(url("flag_transition", flag.key, action), {"note": note})


def test_owner_acknowledges_resolves_and_reopens_a_flag_on_their_enabler(cast: Cast) -> None:
    flag = raise_flag(cast)
    owner = client_for(cast.owner)
    before = generation(cast)

    steps = [
        ("acknowledge", "Looking at it this sprint", FlagStatus.ACKNOWLEDGED),
        ("resolve", "Releases are weekly now", FlagStatus.RESOLVED),
        ("reopen", "Still monthly for refunds", FlagStatus.OPEN),
    ]
    for action, note, status in steps:
        response = transition(owner, flag, action, note)
        assert response.status_code == 302, action
        assert response["Location"] == flag.get_absolute_url()
        flag.refresh_from_db()
        assert flag.status == status

    assert generation(cast) == before + 3
    # The raising team (the member is in delivery) is told of each step.
    kinds = set(notes_for(cast.member).values_list("kind", flat=True))
    assert kinds == {
        NotificationKind.FLAG_ACKNOWLEDGED,
        NotificationKind.FLAG_RESOLVED,
        NotificationKind.FLAG_REOPENED,
    }
    page = client_for(cast.viewer).get(flag.get_absolute_url())
    text = page.content.decode()
    for _, note, _ in steps:
        assert note in text
    actions = [e["action"] for e in page.context["timeline"]]
    assert actions == ["raised", "acknowledged", "resolved", "reopened"]
    assert all(e["who"] == cast.owner.user for e in page.context["timeline"][1:])


def test_the_history_shows_who_changed_the_status(cast: Cast) -> None:
    flag = raise_flag(cast)
    transition(client_for(cast.owner), flag, "acknowledge")

    history = client_for(cast.viewer).get(flag.get_absolute_url()).context["history"]

    assert history[0]["record"].history_user == cast.owner.user
    assert history[0]["changes"] == [{"field": "status", "old": "Open", "new": "Acknowledged"}]
    assert history[-1]["created"] and history[-1]["record"].history_user == cast.member.user


def test_owner_sees_the_actions_that_apply(cast: Cast) -> None:
    flag = raise_flag(cast)
    page = client_for(cast.owner).get(flag.get_absolute_url())
    assert [a["label"] for a in page.context["actions"]] == ["Acknowledge", "Resolve"]
    assert page.context["note_form"] is not None


def test_member_sees_no_actions_on_a_flag(cast: Cast) -> None:
    flag = raise_flag(cast)
    page = client_for(cast.member).get(flag.get_absolute_url())
    assert page.context["actions"] == [] and page.context["note_form"] is None
    assert page.context["comment_form"] is not None


def test_owner_cannot_resolve_a_flag_on_another_teams_enabler(cast: Cast) -> None:
    flag = raise_flag(cast, enabler=cast.world.search)  # search is owned by delivery

    response = transition(client_for(cast.owner), flag, "resolve", "Not ours")

    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert not FlagComment.objects.for_org(cast.world.org).exists()


def test_leader_resolves_a_flag_on_any_enabler(cast: Cast) -> None:
    flag = raise_flag(cast, enabler=cast.world.search)

    response = transition(client_for(cast.leader), flag, "resolve", "Agreed with delivery")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.resolved_at is not None


def test_member_cannot_respond_even_to_a_flag_on_their_teams_enabler(cast: Cast) -> None:
    # Responding is for enabler owners: the member is a team member of delivery.
    flag = raise_flag(cast, enabler=cast.world.search, team=cast.world.delivery)
    assert transition(client_for(cast.member), flag, "acknowledge").status_code == 403


def test_a_stale_transition_gives_409_and_changes_nothing(cast: Cast) -> None:
    flag = raise_flag(cast)
    services.flag_transition(
        flag=flag, action=FlagAction.RESOLVED, note="Done", actor=cast.owner.user
    )
    flag.refresh_from_db()
    resolved_at, version, before = flag.resolved_at, flag.version, generation(cast)
    told = Notification.objects.for_org(cast.world.org).count()

    response = transition(client_for(cast.leader), flag, "resolve", "Me too")

    assert response.status_code == 409
    assert "This flag is resolved, so it cannot be resolved now." in response.content.decode()
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_at, flag.version) == (
        FlagStatus.RESOLVED,
        resolved_at,
        version,
    )
    assert FlagComment.objects.for_org(cast.world.org).count() == 1
    assert Notification.objects.for_org(cast.world.org).count() == told
    assert generation(cast) == before


def test_the_confirm_page_asks_for_a_note(cast: Cast) -> None:
    flag = raise_flag(cast)

    response = client_for(cast.owner).get(url("flag_transition", flag.key, "acknowledge"))

    assert response.status_code == 200
    assert response.context["applies"] is True
    assert 'name="note"' in response.content.decode()


def test_the_confirm_page_says_when_the_action_no_longer_applies(cast: Cast) -> None:
    flag = raise_flag(cast)

    response = client_for(cast.owner).get(url("flag_transition", flag.key, "reopen"))

    assert response.context["applies"] is False
    assert "cannot be reopened now" in response.content.decode()


@pytest.mark.parametrize("action", ["delete", "acknowledged", "close"])
def test_an_unknown_action_is_not_found(cast: Cast, action: str) -> None:
    flag = raise_flag(cast)
    assert transition(client_for(cast.leader), flag, action).status_code == 404
    assert client_for(cast.leader).get(url("flag_transition", flag.key, action)).status_code == 404


# --- comments ---------------------------------------------------------------------------------


def test_member_comments_on_a_flag(cast: Cast) -> None:
    flag = raise_flag(cast)

    response = client_for(cast.member).post(url("flag_comment", flag.key), {"body": "Still slow"})

    assert response.status_code == 302
    comment = FlagComment.objects.for_org(cast.world.org).get()
    assert (comment.flag, comment.author, comment.action, comment.body) == (
        flag,
        cast.member.user,
        "",
        "Still slow",
    )
    timeline = client_for(cast.viewer).get(flag.get_absolute_url()).context["timeline"]
    assert timeline[-1]["action"] == "commented" and timeline[-1]["body"] == "Still slow"


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_comment_is_refused_next_to_the_field(cast: Cast, body: str) -> None:
    flag = raise_flag(cast)

    response = client_for(cast.member).post(url("flag_comment", flag.key), {"body": body})

    assert response.status_code == 400
    assert "body" in response.context["comment_form"].errors
    assert not FlagComment.objects.for_org(cast.world.org).exists()


def test_viewer_cannot_comment(cast: Cast) -> None:
    flag = raise_flag(cast)

    response = client_for(cast.viewer).post(url("flag_comment", flag.key), {"body": "Hello"})

    assert response.status_code == 403
    assert not FlagComment.objects.for_org(cast.world.org).exists()
    page = client_for(cast.viewer).get(flag.get_absolute_url())
    assert page.context["comment_form"] is None


def test_getting_the_comment_url_goes_back_to_the_flag(cast: Cast) -> None:
    flag = raise_flag(cast)
    response = client_for(cast.member).get(url("flag_comment", flag.key))
    assert response.status_code == 302 and response["Location"] == flag.get_absolute_url()


# --- the flag's page --------------------------------------------------------------------------


def test_opening_a_flag_marks_what_you_were_told_about_it_read(cast: Cast) -> None:
    flag = raise_flag(cast)
    other = raise_flag(cast, summary="Another one")
    assert notes_for(cast.owner).filter(read_at=None).count() == 2

    client_for(cast.owner).get(flag.get_absolute_url())

    unread = notes_for(cast.owner).filter(read_at=None)
    assert list(unread.values_list("flag", flat=True)) == [other.pk]


def test_the_flag_page_shows_how_long_it_has_been_open(cast: Cast) -> None:
    flag = raise_flag(cast)
    BottleneckFlag.objects.for_org(cast.world.org).filter(pk=flag.pk).update(
        raised_at=timezone.now() - timedelta(days=3, hours=2)
    )

    page = client_for(cast.viewer).get(flag.get_absolute_url())

    assert page.context["open_for"] == "3 days"
    assert "Open for" in page.content.decode()


def test_a_resolved_flag_says_how_long_it_was_open(cast: Cast) -> None:
    flag = raise_flag(cast)
    BottleneckFlag.objects.for_org(cast.world.org).filter(pk=flag.pk).update(
        raised_at=timezone.now() - timedelta(days=2)
    )
    services.flag_transition(flag=flag, action=FlagAction.RESOLVED, note="", actor=cast.owner.user)

    page = client_for(cast.viewer).get(flag.get_absolute_url())

    assert page.context["open_for"] == "2 days"
    assert "Was open for" in page.content.decode()


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(minutes=5), "under an hour"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=23, minutes=59), "23 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=5), "3 days"),
        (timedelta(seconds=-5), "under an hour"),
    ],
)
def test_durations_read_as_plain_words(delta: timedelta, words: str) -> None:
    assert duration_words(delta) == words


def test_the_flag_page_has_crumbs_and_a_heading(cast: Cast) -> None:
    flag = raise_flag(cast)
    page = client_for(cast.viewer).get(flag.get_absolute_url())
    assert [label for label, _ in page.context["crumbs"]] == ["Acme Ltd", "Flags", flag.summary]
    assert f"<h1>{flag.summary}</h1>" in page.content.decode()


# --- the list ---------------------------------------------------------------------------------


@pytest.fixture
def assorted(cast: Cast) -> dict[str, BottleneckFlag]:
    """Flags that differ in one way each; keyed by what is special about them."""
    other_area = m.BusinessArea.objects.create(organisation=cast.world.org, key="home", name="Home")
    cast.world.platform.business_area = other_area
    cast.world.platform.save()
    found = {
        "delivery-payments-high": raise_flag(cast, summary="Slow payments", severity="high"),
        "delivery-search-low": raise_flag(
            cast, enabler=cast.world.search, summary="Search is clunky", severity="low"
        ),
        "platform-search-blocking": raise_flag(
            cast,
            team=cast.world.platform,
            enabler=cast.world.search,
            summary="Search blocks the warehouse",
            severity="blocking",
            offering=cast.world.warehouse,
            by=cast.owner,
        ),
    }
    services.flag_transition(
        flag=found["delivery-search-low"],
        action=FlagAction.RESOLVED,
        note="",
        actor=cast.leader.user,
    )
    services.flag_transition(
        flag=found["platform-search-blocking"],
        action=FlagAction.ACKNOWLEDGED,
        note="",
        actor=cast.leader.user,
    )
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"delivery-payments-high", "delivery-search-low", "platform-search-blocking"}),
        ({"status": "open"}, {"delivery-payments-high"}),
        ({"status": "resolved"}, {"delivery-search-low"}),
        ({"severity": "blocking"}, {"platform-search-blocking"}),
        ({"team": "delivery"}, {"delivery-payments-high", "delivery-search-low"}),
        ({"enabler": "search"}, {"delivery-search-low", "platform-search-blocking"}),
        ({"enabler": " Payments "}, {"delivery-payments-high"}),  # a name, typed
        ({"enabler": "SEAR"}, {"delivery-search-low", "platform-search-blocking"}),  # a part
        ({"enabler": "nothing-like-it"}, set()),
        ({"area": "food"}, {"delivery-payments-high", "delivery-search-low"}),
        ({"area": "home"}, {"platform-search-blocking"}),
        ({"team": "delivery", "enabler": "search"}, {"delivery-search-low"}),
        ({"owner": "platform"}, {"delivery-payments-high"}),
        ({"offering": "warehouse"}, {"platform-search-blocking"}),
    ],
)
def test_the_list_filters_flags(
    cast: Cast, assorted: dict[str, BottleneckFlag], query: dict[str, str], expected: set[str]
) -> None:
    response = client_for(cast.viewer).get(url("flag_list"), query)

    assert response.status_code == 200
    shown = {flag.pk for flag in response.context["page"].object_list}
    assert shown == {assorted[name].pk for name in expected}


def test_the_list_counts_flags_per_status(cast: Cast, assorted: dict[str, BottleneckFlag]) -> None:
    response = client_for(cast.viewer).get(url("flag_list"), {"status": "open"})
    counts = {c["status"]: c["count"] for c in response.context["counts"]}
    assert counts == {"open": 1, "acknowledged": 1, "resolved": 1}


def test_the_list_answers_htmx_with_its_rows_only(
    cast: Cast, assorted: dict[str, BottleneckFlag]
) -> None:
    response = client_for(cast.viewer).get(
        url("flag_list"), {"severity": "high"}, headers={"HX-Request": "true"}
    )

    text = response.content.decode()
    assert text.lstrip().startswith('<div id="rows"')
    assert "Slow payments" in text and "Search is clunky" not in text
    assert "HX-Request" in response["Vary"]


def test_the_list_shows_each_flags_columns(cast: Cast) -> None:
    flag = raise_flag(cast)
    BottleneckFlag.objects.for_org(cast.world.org).filter(pk=flag.pk).update(
        raised_at=timezone.now() - timedelta(days=3)
    )

    text = client_for(cast.viewer).get(url("flag_list")).content.decode()

    for shown in [flag.get_absolute_url(), "Payments", "Delivery", "High", "Open", "3 days"]:
        assert shown in text


def test_an_empty_list_says_how_to_flag(cast: Cast) -> None:
    text = client_for(cast.member).get(url("flag_list")).content.decode()
    assert "No bottlenecks flagged yet" in text
    assert reverse("catalogue:enabler_list", args=["acme"]) in text


@pytest.mark.parametrize(
    ("actor", "shown"), [("viewer", False), ("member", True), ("leader", True)]
)
def test_the_raise_button_follows_who_may_raise(cast: Cast, actor: str, shown: bool) -> None:
    text = client_for(getattr(cast, actor)).get(url("flag_list")).content.decode()
    assert (f'href="{url("flag_raise")}"' in text) is shown


def test_the_raise_button_is_hidden_from_a_member_in_no_team(cast: Cast) -> None:
    loner = add_member(cast.world.org, "loner", m.Role.TEAM_MEMBER)
    text = client_for(loner).get(url("flag_list")).content.decode()
    assert f'href="{url("flag_raise")}"' not in text


def test_the_list_shows_nothing_of_another_organisation(cast: Cast) -> None:
    raise_elsewhere(cast, "Globex-only secret")
    response = client_for(cast.admin).get(url("flag_list"))
    assert response.context["page"].paginator.count == 0
    assert "Globex-only secret" not in response.content.decode()


# Session, user, the person's memberships (the page's, and the organisation switcher's),
# unread count (for the page around), the rows, counts per status (which are the list's
# length too while no filter but the status narrows it), the member's team ids, and the team
# and area choices of the filter (one query for both lists, which also checks a chosen team
# or area). The enabler is typed, so its thousands are not listed.
LIST_QUERIES = 8


def _count_list_queries(cast: Cast, query: dict[str, str]) -> int:
    client = client_for(cast.member)
    client.get(url("flag_list"), query)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("flag_list"), query)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "open"},
        {"status": "open", "severity": "high", "team": "delivery", "area": "food"},
        {"status": "open", "enabler": "pay"},
    ],
)
def test_the_list_runs_a_fixed_number_of_queries(cast: Cast, query: dict[str, str]) -> None:
    raise_flag(cast)
    small = _count_list_queries(cast, query)
    for i in range(30):
        offering = f.OfferingFactory(organisation=cast.world.org, team=cast.world.delivery)
        raise_flag(cast, summary=f"Grown {i}", offering=offering)
    large = _count_list_queries(cast, query)
    assert small == large
    # Filters besides the status need the list counted; a typed enabler is looked up once.
    counted = 1 if set(query) - {"status"} else 0
    assert small == LIST_QUERIES + counted + ("enabler" in query)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": "2"},
        {"status": "open"},
        {"status": "resolved", "page": "1"},
        {"status": "", "severity": ""},
        {"status": "nonsense"},
        {"status": "open", "severity": "high"},
        {"team": "delivery"},
        {"team": "no-such-team"},
    ],
)
def test_the_list_says_how_many_flags_it_holds(
    cast: Cast, assorted: dict[str, BottleneckFlag], query: dict[str, str]
) -> None:
    """The length shown, taken from the counts per status where they tell it, is always
    the number of flags the filters let through."""
    for i in range(30):
        raise_flag(cast, summary=f"More {i}")
    response = client_for(cast.viewer).get(url("flag_list"), query)
    filterset = response.context["filter"]
    assert response.context["page"].paginator.count == filterset.qs.count()
    shown = response.content.decode()
    assert f"{filterset.qs.count()} flag" in shown


# --- panels on catalogue pages ----------------------------------------------------------------


def page(cast: Cast, name: str, key: str, actor: str = "member") -> str:
    response = client_for(getattr(cast, actor)).get(
        reverse(f"catalogue:{name}", args=["acme", key])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_enablers_page_shows_its_open_flags_and_a_button(cast: Cast) -> None:
    flag = raise_flag(cast)
    resolved = raise_flag(cast, summary="Old trouble")
    services.flag_transition(
        flag=resolved, action=FlagAction.RESOLVED, note="", actor=cast.owner.user
    )

    text = page(cast, "enabler_detail", "payments")

    assert 'data-testid="flags-panel"' in text
    assert flag.summary in text and "Old trouble" not in text
    assert f"{url('flag_list')}?enabler=payments" in text
    assert f"{url('flag_raise')}?enabler=payments" in text


def test_a_viewer_sees_the_flags_panel_without_the_button(cast: Cast) -> None:
    flag = raise_flag(cast)
    text = page(cast, "enabler_detail", "payments", actor="viewer")
    assert flag.summary in text
    assert url("flag_raise") not in text


def test_an_offerings_page_shows_the_flags_raised_on_it(cast: Cast) -> None:
    on_shop = raise_flag(cast, offering=cast.world.shop, summary="Checkout stalls")
    elsewhere = raise_flag(cast, summary="Not about the shop")

    text = page(cast, "offering_detail", "shop")

    assert on_shop.summary in text and elsewhere.summary not in text
    assert f"{url('flag_raise')}?offering=shop" in text
    assert f"{url('flag_list')}?offering=shop" in text


def test_a_teams_page_shows_its_flags_and_those_on_its_enablers(cast: Cast) -> None:
    raised = raise_flag(cast, summary="Delivery raised this")
    on_search = raise_flag(
        cast,
        team=cast.world.platform,
        enabler=cast.world.search,
        summary="On the search of delivery",
        by=cast.owner,
    )

    delivery = page(cast, "team_detail", "delivery")
    platform = page(cast, "team_detail", "platform")

    assert raised.summary in delivery and on_search.summary in delivery
    assert f"{url('flag_raise')}?team=delivery" in delivery
    assert f"{url('flag_list')}?owner=delivery" in delivery
    # The member cannot flag for platform; platform's page shows its raised flag and the one
    # on its payments enabler.
    assert url("flag_raise") not in platform
    assert on_search.summary in platform and raised.summary in platform


def _panel_rows(html: str) -> list[str]:
    panel = html[html.index('data-testid="flags-panel"') :]
    panel = panel[: panel.index("</section>")]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r'<li class="list-group-item.*?</li>', panel, re.S)
    ]


def test_panel_rows_name_the_other_side_newest_first_ten_at_most(cast: Cast) -> None:
    for i in range(11):
        raise_flag(cast, offering=cast.world.shop, summary=f"Slow {i:02d}", severity="low")
    raise_elsewhere(cast, "Elsewhere")

    on_enabler = page(cast, "enabler_detail", "payments")
    on_offering = page(cast, "offering_detail", "shop")

    assert _panel_rows(on_enabler)[:2] == [
        "Slow 10 · raised by Delivery Low Open",
        "Slow 09 · raised by Delivery Low Open",
    ]
    assert len(_panel_rows(on_enabler)) == 10 and "Showing the newest 10." in on_enabler
    assert _panel_rows(on_offering)[0] == "Slow 10 · on Payments Low Open"
    assert "Elsewhere" not in on_enabler + on_offering


@pytest.mark.parametrize(
    ("name", "key"),
    [("enabler_detail", "payments"), ("offering_detail", "shop"), ("team_detail", "delivery")],
)
def test_panels_run_a_fixed_number_of_queries(cast: Cast, name: str, key: str) -> None:
    client = client_for(cast.member)
    target = reverse(f"catalogue:{name}", args=["acme", key])
    raise_flag(cast, offering=cast.world.shop)
    client.get(target)
    with CaptureQueriesContext(connection) as small:
        client.get(target)
    for i in range(15):
        raise_flag(cast, offering=cast.world.shop, summary=f"Grown {i}")
        raise_flag(
            cast,
            team=cast.world.platform,
            enabler=cast.world.search,
            summary=f"On search {i}",
            by=cast.owner,
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(target)
    assert len(small) == len(large)
    assert "Showing the newest 10" in response.content.decode()
