"""Assessment rounds and the teams' to-do lists, through the test client and the real forms.

The cast (tests/conftest.py): the member is in ``delivery`` (owns offering ``shop``, which
uses ``payments``); the owner is in ``platform`` (its offering ``warehouse`` uses nothing).
So a round asks one question: what ``delivery`` thinks of ``payments``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, AssessmentRound
from assessments.selectors import TODO_PAGE_SIZE
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, client_for

HTMX = {"HX-Request": "true"}
GOOD = {"payments-fit": "4", "payments-pace": "1", "payments-preferred": "common",
        "payments-comment": "Works, mostly."}  # fmt: skip


def url(name: str, *args: object) -> str:
    return reverse(f"assessments:{name}", args=["acme", *args])


def generation(cast: Cast) -> int:
    return m.Organisation.objects.get(pk=cast.world.org.pk).generation


def open_round(cast: Cast, name: str = "2026 Q4") -> AssessmentRound:
    return services.round_open(
        organisation=cast.world.org, name=name, due_on=None, actor=cast.leader.user
    )


def assessments(cast: Cast) -> Any:
    return Assessment.objects.for_org(cast.world.org)


@pytest.fixture
def q4(cast: Cast) -> AssessmentRound:
    return open_round(cast)


def edit_url(r: AssessmentRound, team: str = "delivery", enabler: str = "payments") -> str:
    return url("assessment_edit", r.key, team, enabler)


# --- opening, changing and closing rounds ------------------------------------------------------


def test_leader_opens_a_round(cast: Cast) -> None:
    client = client_for(cast.leader)
    due = timezone.localdate() + timedelta(days=14)

    response = client.post(url("round_open"), {"name": "2026 Q4", "due_on": due.isoformat()})

    r = AssessmentRound.objects.for_org(cast.world.org).get()
    assert response.status_code == 302 and response["Location"] == r.get_absolute_url()
    assert r.name == "2026 Q4" and r.is_open and r.due_on == due
    page = client.get(response["Location"])
    assert "Round “2026 Q4” is open" in page.content.decode()


def test_leader_cannot_open_a_second_round_while_one_is_open(cast: Cast, q4: Any) -> None:
    client = client_for(cast.leader)

    form_page = client.get(url("round_open"))
    response = client.post(url("round_open"), {"name": "2027 Q1", "due_on": ""})

    assert "is still open" in form_page.content.decode()
    assert response.status_code == 400
    assert "Round “2026 Q4” is still open: close it first." in response.content.decode()
    assert AssessmentRound.objects.for_org(cast.world.org).count() == 1


def test_a_due_date_in_the_past_is_refused_on_the_form(cast: Cast) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client_for(cast.leader).post(
        url("round_open"), {"name": "Late", "due_on": yesterday.isoformat()}
    )
    assert response.status_code == 400
    assert "The due date has passed" in response.content.decode()
    assert not AssessmentRound.objects.for_org(cast.world.org).exists()


def test_the_open_button_is_disabled_and_explained_while_a_round_is_open(
    cast: Cast, q4: Any
) -> None:
    text = client_for(cast.leader).get(url("round_list")).content.decode()
    assert 'disabled aria-describedby="open-round-why"' in text
    assert "close “2026 Q4” before opening another" in text
    assert f'href="{url("round_open")}"' not in text


def test_empty_round_list_tells_each_role_what_comes_next(cast: Cast) -> None:
    leader = client_for(cast.leader).get(url("round_list")).content.decode()
    member = client_for(cast.member).get(url("round_list")).content.decode()
    assert f'href="{url("round_open")}"' in leader and "Open one with" in leader
    assert "Leadership opens rounds" in member and url("round_open") not in member


def test_round_list_links_the_open_round_to_the_members_team_list(cast: Cast, q4: Any) -> None:
    text = client_for(cast.member).get(url("round_list")).content.decode()
    assert f'href="{url("round_team", q4.key, "delivery")}"' in text
    assert "Your team’s list: Delivery" in text


def test_leader_renames_a_round_and_moves_its_due_date(cast: Cast, q4: Any) -> None:
    client = client_for(cast.leader)
    due = timezone.localdate() + timedelta(days=3)
    response = client.post(
        url("round_edit", q4.key), {"name": "Autumn review", "due_on": due.isoformat()}
    )
    q4.refresh_from_db()
    assert response.status_code == 302
    assert (q4.name, q4.due_on) == ("Autumn review", due)
    # The date field shows the stored date in the ISO form <input type="date"> reads.
    form_page = client.get(url("round_edit", q4.key)).content.decode()
    assert f'type="date" name="due_on" value="{due.isoformat()}"' in form_page


def test_leader_closes_a_round_after_confirming(cast: Cast, q4: Any) -> None:
    client = client_for(cast.leader)
    confirm = client.get(url("round_close", q4.key))
    before = generation(cast)

    response = client.post(url("round_close", q4.key))

    q4.refresh_from_db()
    assert confirm.status_code == 200 and "0 of 1 enabler assessed" in confirm.content.decode()
    assert response.status_code == 302 and not q4.is_open
    assert q4.closed_on == timezone.localdate()
    assert generation(cast) == before + 1


def test_a_closed_round_cannot_be_changed(cast: Cast, q4: Any) -> None:
    services.round_close(assessment_round=q4, actor=cast.leader.user)
    client = client_for(cast.leader)

    edit = client.post(url("round_edit", q4.key), {"name": "Renamed", "due_on": ""})
    detail = client.get(edit["Location"]).content.decode()

    q4.refresh_from_db()
    assert q4.name == "2026 Q4"
    assert "cannot change" in detail
    assert url("round_edit", q4.key) not in detail and url("round_close", q4.key) not in detail


# --- the team's list and assessing in place ---------------------------------------------------


def test_member_sees_payments_on_the_delivery_list(cast: Cast, q4: Any) -> None:
    response = client_for(cast.member).get(url("round_team", q4.key, "delivery"))
    text = response.content.decode()
    assert response.status_code == 200
    assert [row.enabler.key for row in response.context["rows"]] == ["payments"]
    assert "used by Shop" in text and "Owned by" in text
    assert "<strong>0</strong> of 1 assessed" in text
    assert f'hx-post="{edit_url(q4)}"' in text
    assert 'hx-target="#assess-payments"' in text and 'hx-swap="outerHTML"' in text
    # Every input has a real label (the ids are prefixed per row).
    for name in ("fit", "pace", "preferred", "comment"):
        assert f'for="id_payments-{name}"' in text and f'id="id_payments-{name}"' in text


def test_member_assesses_in_place_with_htmx(cast: Cast, q4: Any) -> None:
    before = generation(cast)

    response = client_for(cast.member).post(edit_url(q4), GOOD, headers=HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text and 'id="assess-payments"' in text
    assert "Saved" in text and "4 · good fit" in text and "+1 · speeds us up" in text
    assert 'hx-swap-oob="true"' in text and "<strong>1</strong> of 1 assessed" in text
    saved = assessments(cast).get()
    assert (saved.team, saved.enabler, saved.round) == (
        cast.world.delivery,
        cast.world.payments,
        q4,
    )
    assert (saved.fit, saved.pace, saved.preferred) == (4, 1, "common")
    assert saved.comment == "Works, mostly." and saved.assessed_by == cast.member.user
    assert generation(cast) == before + 1
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_without_htmx_the_form_post_goes_back_to_the_list(cast: Cast, q4: Any) -> None:
    client = client_for(cast.member)
    response = client.post(edit_url(q4), GOOD)
    list_url = url("round_team", q4.key, "delivery")
    assert response.status_code == 302
    assert response["Location"] == f"{list_url}#assess-payments"
    page = client.get(list_url).content.decode()
    assert "Assessment of Payments saved." in page and "4 · good fit" in page


def test_saving_again_changes_the_same_assessment(cast: Cast, q4: Any) -> None:
    client = client_for(cast.member)
    client.post(edit_url(q4), GOOD, headers=HTMX)
    client.post(edit_url(q4), {**GOOD, "payments-fit": "2"}, headers=HTMX)
    assert assessments(cast).get().fit == 2


def test_the_row_form_is_returned_for_htmx_and_the_list_otherwise(cast: Cast, q4: Any) -> None:
    client = client_for(cast.member)
    partial = client.get(edit_url(q4), headers=HTMX)
    plain = client.get(edit_url(q4))
    assert partial.status_code == 200 and 'id="id_payments-fit"' in partial.content.decode()
    assert "<html" not in partial.content.decode()
    assert plain.status_code == 302 and plain["Location"].endswith("#assess-payments")


def test_invalid_fit_gives_422_with_the_error_next_to_the_field(cast: Cast, q4: Any) -> None:
    before = generation(cast)

    response = client_for(cast.member).post(
        edit_url(q4), {**GOOD, "payments-fit": "9"}, headers=HTMX
    )

    text = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_payments-fit-error"' in text and "9 is not one of the available" in text
    assert 'aria-describedby="id_payments-fit-error id_payments-fit_helptext"' in text
    assert "is-invalid" in text
    assert not assessments(cast).exists()
    assert generation(cast) == before


def test_invalid_form_without_htmx_shows_the_list_with_the_errors(cast: Cast, q4: Any) -> None:
    response = client_for(cast.member).post(edit_url(q4), {**GOOD, "payments-fit": ""})
    text = response.content.decode()
    assert response.status_code == 422
    assert "<h1>Delivery: 2026 Q4</h1>" in text
    assert 'id="id_payments-fit-error"' in text and "This field is required." in text
    assert not assessments(cast).exists()


def test_an_unassessed_row_preselects_nothing(cast: Cast, q4: Any) -> None:
    # A careless "Save" must not record the lowest fit: the form asks for a choice.
    text = client_for(cast.member).get(url("round_team", q4.key, "delivery")).content.decode()
    assert '<option value="" selected>Choose…</option>' in text


def test_member_cannot_assess_for_the_platform_team(cast: Cast, q4: Any) -> None:
    services.round_close(assessment_round=q4, actor=cast.leader.user)
    q1 = open_round(cast, "2027 Q1")
    m.EnablerUsage.objects.create(
        organisation=cast.world.org, enabler=cast.world.payments, offering=cast.world.warehouse
    )
    client = client_for(cast.member)
    data = dict(GOOD)

    response = client.post(edit_url(q1, team="platform"), data, headers=HTMX)
    page = client.get(url("round_team", q1.key, "platform")).content.decode()

    assert response.status_code == 403
    assert not assessments(cast).exists()
    assert "hx-post" not in page and "Only members of Platform and leadership" in page


def test_viewer_cannot_assess(cast: Cast, q4: Any) -> None:
    client = client_for(cast.viewer)
    response = client.post(edit_url(q4), GOOD, headers=HTMX)
    page = client.get(url("round_team", q4.key, "delivery"))
    assert response.status_code == 403
    assert not assessments(cast).exists()
    assert page.status_code == 200 and "hx-post" not in page.content.decode()


def test_outsider_gets_404_everywhere(cast: Cast, q4: Any) -> None:
    client = client_for(cast.outsider)
    for target in (
        url("round_list"),
        url("round_detail", q4.key),
        url("round_team", q4.key, "delivery"),
        edit_url(q4),
    ):
        assert client.get(target).status_code == 404, target
    assert client.post(edit_url(q4), GOOD, headers=HTMX).status_code == 404
    assert not assessments(cast).exists()


def test_unknown_keys_give_404(cast: Cast, q4: Any) -> None:
    client = client_for(cast.member)
    assert client.get(url("round_detail", "nope")).status_code == 404
    assert client.get(url("round_team", q4.key, "nope")).status_code == 404
    assert client.post(edit_url(q4, enabler="nope"), GOOD, headers=HTMX).status_code == 404
    assert client.post(edit_url(q4, team="nope"), GOOD, headers=HTMX).status_code == 404


def test_an_enabler_the_team_does_not_use_is_refused_with_409(cast: Cast, q4: Any) -> None:
    data = {k.replace("payments", "search"): v for k, v in GOOD.items()}
    response = client_for(cast.member).post(edit_url(q4, enabler="search"), data, headers=HTMX)
    assert response.status_code == 409
    assert "does not use Search" in response.content.decode()
    assert not assessments(cast).exists()


def test_a_closed_round_refuses_assessments_and_reads_only(cast: Cast, q4: Any) -> None:
    client = client_for(cast.member)
    client.post(edit_url(q4), GOOD, headers=HTMX)
    services.round_close(assessment_round=q4, actor=cast.leader.user)
    before = generation(cast)

    response = client.post(edit_url(q4), {**GOOD, "payments-fit": "1"}, headers=HTMX)
    page = client.get(url("round_team", q4.key, "delivery")).content.decode()

    assert response.status_code == 409
    assert "This round is closed" in response.content.decode()
    assert "hx-post" not in response.content.decode()
    assert assessments(cast).get().fit == 4
    assert generation(cast) == before
    assert "the list is read only" in page
    assert "hx-post" not in page and 'id="id_payments-fit"' not in page
    assert "4 · good fit" in page


def test_a_closed_round_refuses_a_plain_post_with_a_message(cast: Cast, q4: Any) -> None:
    services.round_close(assessment_round=q4, actor=cast.leader.user)
    client = client_for(cast.member)
    response = client.post(edit_url(q4), GOOD, follow=True)
    assert "This round is closed" in response.content.decode()
    assert not assessments(cast).exists()


# --- completion -------------------------------------------------------------------------------


def grow(cast: Cast, n: int, *, team: m.Team | None = None) -> list[Any]:
    """``n`` more enablers used by one more offering of ``team`` (delivery by default)."""
    org = cast.world.org
    offering = f.OfferingFactory(organisation=org, team=team or cast.world.delivery)
    enablers = []
    for _ in range(n):
        enabler = f.EnablerFactory(organisation=org, owner_team=cast.world.platform)
        m.EnablerUsage.objects.create(organisation=org, enabler=enabler, offering=offering)
        enablers.append(enabler)
    return enablers


def assess(
    cast: Cast,
    assessment_round: AssessmentRound,
    enabler: Any,
    *,
    team: m.Team | None = None,
    fit: int = 3,
    pace: int = 0,
    preferred: str = "",
    comment: str = "",
    actor: Any = None,
) -> None:
    """Save ``team``'s assessment (delivery by default) through the service, as the leader
    unless ``actor`` says otherwise."""
    services.assessment_save(
        assessment_round=assessment_round,
        team=team or cast.world.delivery,
        enabler=enabler,
        fit=fit,
        pace=pace,
        preferred=preferred,
        comment=comment,
        actor=actor or cast.leader.user,
    )


def test_leader_sees_completion_overall_and_per_team(cast: Cast, q4: Any) -> None:
    extra = grow(cast, 3)  # delivery: payments + 3
    grow(cast, 2, team=cast.world.platform)  # platform: 2
    for enabler in (cast.world.payments, extra[0]):
        assess(cast, q4, enabler, actor=cast.member.user)

    response = client_for(cast.leader).get(url("round_detail", q4.key))

    text = response.content.decode()
    overall, per_team = response.context["overall"], response.context["per_team"]
    assert (overall.assessed, overall.pairs) == (2, 6)
    # Least done first: platform (0 of 2) before delivery (2 of 4).
    assert [(c.team.key, c.assessed, c.pairs) for c in per_team] == [
        ("platform", 0, 2),
        ("delivery", 2, 4),
    ]
    assert "<strong>2</strong> of 6 (33%)" in text
    assert "<strong>2</strong> of 4 (50%)" in text and "<strong>0</strong> of 2 (0%)" in text
    assert 'aria-valuenow="50"' in text and 'role="progressbar"' in text
    assert f'href="{url("round_team", q4.key, "platform")}"' in text


def test_non_leaders_do_not_see_completion(cast: Cast, q4: Any) -> None:
    for who in (cast.member, cast.owner, cast.viewer):
        response = client_for(who).get(url("round_detail", q4.key))
        text = response.content.decode()
        assert response.status_code == 200
        assert "overall" not in response.context and 'data-testid="completion"' not in text
        assert "progressbar" not in text
    member = client_for(cast.member).get(url("round_detail", q4.key)).content.decode()
    assert f'href="{url("round_team", q4.key, "delivery")}"' in member


# --- query counts -------------------------------------------------------------------------------


def test_round_team_query_count_does_not_grow_with_enablers(
    cast: Cast, q4: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(cast.member)
    target = url("round_team", q4.key, "delivery")
    client.get(target)  # warm the session

    with django_assert_num_queries(8) as few:  # a page of rows, each with its offerings and
        # assessment, and the counts of the list, in one query
        small = client.get(target)
    extra = grow(cast, 15)
    for enabler in extra[:5]:
        assess(cast, q4, enabler, fit=5, pace=2, preferred="repeatable", actor=cast.member.user)
    with django_assert_num_queries(len(few.captured_queries)):
        large = client.get(target)

    assert len(small.context["rows"]) == 1
    assert len(large.context["rows"]) == min(16, TODO_PAGE_SIZE)
    assert "<strong>5</strong> of 16 assessed" in large.content.decode()


def test_a_long_to_do_list_is_shown_a_page_at_a_time(cast: Cast, q4: Any) -> None:
    grow(cast, 2 * TODO_PAGE_SIZE)  # delivery: payments + 2 pages' worth = three pages
    total = 2 * TODO_PAGE_SIZE + 1
    client = client_for(cast.member)
    target = url("round_team", q4.key, "delivery")

    pages = [client.get(target, {"page": str(n)}) for n in (1, 2, 3)]

    assert [len(p.context["rows"]) for p in pages] == [TODO_PAGE_SIZE, TODO_PAGE_SIZE, 1]
    text = pages[2].content.decode()
    assert f"<strong>0</strong> of {total} assessed" in text  # the counter counts the whole list
    assert f"Page 3 of 3 ({total} in all)" in text and "?page=2" in text
    shown = {r.enabler.key for p in pages for r in p.context["rows"]}
    assert len(shown) == total


def test_saving_a_row_without_htmx_goes_back_to_its_page(cast: Cast, q4: Any) -> None:
    extra = grow(cast, TODO_PAGE_SIZE + 5)  # with payments: two pages
    listed = sorted([*extra, cast.world.payments], key=lambda e: (e.name, e.pk))
    last = listed[-1] if listed[-1] in extra else listed[-2]  # listed by name: on page 2
    assert listed.index(last) >= TODO_PAGE_SIZE
    client = client_for(cast.member)
    data = {f"{last.key}-fit": "4", f"{last.key}-pace": "1", f"{last.key}-preferred": ""}

    response = client.post(edit_url(q4, enabler=last.key), data)
    refused = client.post(edit_url(q4, enabler=last.key), {f"{last.key}-fit": "9"})

    list_url = url("round_team", q4.key, "delivery")
    assert response.status_code == 302
    assert response["Location"] == f"{list_url}?page=2#assess-{last.key}"
    assert refused.status_code == 422  # shown with its errors, on its own page
    assert refused.context["page"].number == 2
    assert any(r.enabler.pk == last.pk and r.form.errors for r in refused.context["rows"])


def test_round_list_query_count_does_not_grow_with_rounds(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    client = client_for(cast.member)
    q = open_round(cast, "First")
    client.get(url("round_list"))
    with django_assert_num_queries(7) as few:
        client.get(url("round_list"))
    for name in ("Second", "Third", "Fourth"):
        services.round_close(assessment_round=q, actor=cast.leader.user)
        q = open_round(cast, name)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url("round_list"))
    assert len(response.context["rounds"]) == 4
    assert [r.name for r in response.context["rounds"]] == ["Fourth", "Third", "Second", "First"]


def test_a_round_named_new_gets_a_key_its_page_can_use(cast: Cast) -> None:
    assessment_round = services.round_open(
        organisation=cast.world.org, name="New", due_on=None, actor=cast.leader.user
    )
    assert assessment_round.key == "new-2"
    page = client_for(cast.viewer).get(assessment_round.get_absolute_url())
    assert page.status_code == 200 and "<h1" in page.content.decode()


@pytest.mark.parametrize("number", [1, 2, 99])
def test_the_page_counts_the_assessed_as_the_row_save_does(
    cast: Cast, q4: Any, number: int
) -> None:
    """The to-do page reads "n of m assessed" with its rows; saving one row counts it on its
    own (team_todo_assessed). Both give the same figure, on any page, in range or not."""
    from assessments.selectors import team_todo_assessed, team_todo_page

    extra = grow(cast, 15)
    theirs = f.OfferingFactory(organisation=cast.world.org, team=cast.world.platform)
    for enabler in extra[:4]:  # on both teams' lists
        m.EnablerUsage.objects.create(organisation=cast.world.org, enabler=enabler, offering=theirs)
        for team in (cast.world.delivery, cast.world.platform):
            assess(cast, q4, enabler, team=team, fit=4, pace=1, preferred="common")
    page = team_todo_page(
        organisation=cast.world.org, assessment_round=q4, team=cast.world.delivery, number=number
    )
    alone = team_todo_assessed(
        organisation=cast.world.org, assessment_round=q4, team=cast.world.delivery
    )
    assert page.assessed == alone == 4  # the platform team's assessments are not delivery's
    assert page.total == 16


def test_each_row_carries_its_own_offerings_and_the_teams_assessment_in_this_round(
    cast: Cast,
) -> None:
    """The rows come with their offerings and assessment in the page's query: each row shows
    only the team's offerings that use it (by name) and the team's assessment in this round,
    never another team's or an earlier round's."""
    from assessments.selectors import team_todo_page, team_todo_row

    org = cast.world.org
    earlier = open_round(cast, "2026 Q3")
    first, second = grow(cast, 2)
    zeta = f.OfferingFactory(organisation=org, team=cast.world.delivery, name="Zeta shop")
    alpha = f.OfferingFactory(organisation=org, team=cast.world.delivery, name="Alpha shop")
    theirs = f.OfferingFactory(organisation=org, team=cast.world.platform, name="Their shop")
    for offering in (zeta, alpha, theirs):
        m.EnablerUsage.objects.create(organisation=org, enabler=first, offering=offering)
    m.EnablerUsage.objects.create(organisation=org, enabler=second, offering=theirs)

    assess(cast, earlier, second, fit=1)  # an earlier round
    services.round_close(assessment_round=earlier, actor=cast.leader.user)
    now = open_round(cast, "2026 Q4")
    assess(cast, now, first, fit=4, comment="fit 4")
    assess(cast, now, first, team=cast.world.platform, fit=2)  # another team's view of it
    assess(cast, now, second, team=cast.world.platform, fit=5)

    page = team_todo_page(organisation=org, assessment_round=now, team=cast.world.delivery)
    rows = {row.enabler.pk: row for row in page.rows}
    assert rows[first.pk].offerings[0] == "Alpha shop"
    assert "Zeta shop" in rows[first.pk].offerings and "Their shop" not in rows[first.pk].offerings
    assert rows[first.pk].offerings == sorted(rows[first.pk].offerings)
    assert rows[first.pk].assessment is not None and rows[first.pk].assessment.fit == 4
    assert rows[second.pk].assessment is None  # only an earlier round's, and another team's
    assert rows[cast.world.payments.pk].assessment is None
    assert page.assessed == 1

    alone = team_todo_row(
        organisation=org, assessment_round=now, team=cast.world.delivery, enabler=first
    )
    assert alone is not None and alone.offerings == rows[first.pk].offerings
    assert alone.assessment is not None and alone.assessment.comment == "fit 4"
    text = client_for(cast.member).get(url("round_team", now.key, "delivery")).content.decode()
    assert "Alpha shop" in text and "Their shop" not in text


@pytest.mark.parametrize("number", [None, "1", "x"])
def test_the_first_page_agrees_row_by_row_with_the_orm(cast: Cast, q4: Any, number: Any) -> None:
    """The first page comes through a compiled query: its rows, their owners, offerings and
    assessments, and its counts are what the ORM reads for each of them."""
    from assessments.selectors import (
        team_todo_assessed,
        team_todo_enablers,
        team_todo_page,
        team_todo_row,
    )

    org, delivery = cast.world.org, cast.world.delivery
    extra = grow(cast, 12)
    extra[0].owner_team = None
    extra[0].save()
    for i, enabler in enumerate(extra[:5]):
        assess(cast, q4, enabler, fit=1 + i % 5, pace=i % 3 - 1, comment=f"note <{i}>")
    page = team_todo_page(organisation=org, assessment_round=q4, team=delivery, number=number)

    listed = list(team_todo_enablers(organisation=org, team=delivery))
    assert [row.enabler.pk for row in page.rows] == [e.pk for e in listed[:10]]
    assert page.total == len(listed) == 13 and page.page.paginator.num_pages == 2
    assert page.assessed == team_todo_assessed(organisation=org, assessment_round=q4, team=delivery)
    assert any(row.assessment for row in page.rows) and not all(row.assessment for row in page.rows)
    assert any(row.enabler.owner_team is None for row in page.rows)
    for row in page.rows:
        alone = team_todo_row(
            organisation=org, assessment_round=q4, team=delivery, enabler=row.enabler
        )
        assert alone is not None and alone.offerings == row.offerings
        owner, its = row.enabler.owner_team, alone.enabler.owner_team
        assert (owner and (owner.pk, owner.key, owner.name)) == (
            its and (its.pk, its.key, its.name)
        )
        fields = ("pk", "fit", "pace", "preferred", "comment")
        assert (row.assessment and [getattr(row.assessment, n) for n in fields]) == (
            alone.assessment and [getattr(alone.assessment, n) for n in fields]
        )
