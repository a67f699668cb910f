"""Concurrent edits through the pages: offerings, journeys (and their steps), decisions and
bottleneck flags. Two people open the same version; the first saves; the second is refused
(409) with nothing written, the first's change kept, and the form showing the stored values
and the new version. A save based on the current version goes through and counts one more.
"""

from __future__ import annotations

from typing import Any

import pytest

from assessments import services as assessments_services
from assessments.models import BottleneckFlag, Decision, DecisionStatus, FlagStatus
from catalogue import models as m
from tests.conftest import Cast, client_for

from .helpers import open_form, two_editors, url, values

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else saved this"


def stored(model: Any, cast: Cast, **lookup: Any) -> Any:
    return model.objects.for_org(cast.world.org).get(**lookup)


# --- offerings ------------------------------------------------------------------------------


def test_an_offering_saved_by_someone_else_refuses_the_older_edit(cast: Cast) -> None:
    first, second = two_editors(cast)
    path = url("offering_edit", "shop")
    mine, theirs = open_form(first, path), open_form(second, path)
    assert mine["version"] == theirs["version"] == 1

    saved = first.post(path, {**mine, "name": "Shop online"})
    refused = second.post(path, {**theirs, "description": "Second's words"})

    assert saved.status_code == 302
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT in page and "Their change is kept" in page
    assert "saved “Shop online”, yours “Shop”" in page  # what to check before trying again
    offering = stored(m.Offering, cast, key="shop")
    assert (offering.name, offering.description, offering.version) == ("Shop online", "", 2)
    # The form is shown again with the stored values and the version to base a retry on.
    form = refused.context["form"]
    assert not form.is_bound
    assert form["name"].value() == "Shop online"
    assert form["version"].value() == 2


def test_an_offering_saved_on_the_current_version_counts_one_more(cast: Cast) -> None:
    client = client_for(cast.member)  # the delivery team edits its own offering
    path = url("offering_edit", "shop")
    form = open_form(client, path)

    response = client.post(path, {**form, "description": "Groceries"})

    assert response.status_code == 302
    offering = stored(m.Offering, cast, key="shop")
    assert (offering.description, offering.version) == ("Groceries", 2)
    retry = open_form(client, path)
    assert retry["version"] == 2
    assert client.post(path, {**retry, "description": "Food"}).status_code == 302
    assert stored(m.Offering, cast, key="shop").version == 3


def test_a_version_that_is_not_a_number_is_refused_and_nothing_is_saved(cast: Cast) -> None:
    client = client_for(cast.leader)
    path = url("offering_edit", "shop")
    form = open_form(client, path)

    response = client.post(path, {**form, "name": "Changed", "version": "two"})

    assert response.status_code == 400
    assert "Reload the page" in response.content.decode()
    assert stored(m.Offering, cast, key="shop").name == "Shop"


# --- journeys and their steps -----------------------------------------------------------------


def test_a_journey_saved_by_someone_else_refuses_the_older_edit(cast: Cast) -> None:
    first, second = two_editors(cast)
    path = url("journey_edit", "weekly-shop")
    mine, theirs = open_form(first, path), open_form(second, path)

    assert first.post(path, {**mine, "segment": "Families"}).status_code == 302
    refused = second.post(path, {**theirs, "segment": "Students"})

    assert refused.status_code == 409
    assert CONFLICT in refused.content.decode()
    journey = stored(m.Journey, cast, key="weekly-shop")
    assert (journey.segment, journey.version) == ("Families", 2)
    assert refused.context["form"]["segment"].value() == "Families"
    assert refused.context["form"]["version"].value() == 2


def test_a_step_added_meanwhile_refuses_an_edit_of_the_journey(cast: Cast) -> None:
    editor, stepper = two_editors(cast)
    path = url("journey_edit", "weekly-shop")
    form = open_form(editor, path)

    added = stepper.post(
        url("step_add", "weekly-shop"),
        {"name": "Pay", "offering": cast.world.warehouse.pk, "version": 1},
    )
    refused = editor.post(path, {**form, "name": "Big shop"})

    assert added.status_code == 302
    assert refused.status_code == 409
    assert "saved “Weekly shop”, yours “Big shop”" in refused.content.decode()
    journey = stored(m.Journey, cast, key="weekly-shop")
    assert (journey.name, journey.version) == ("Weekly shop", 2)
    assert journey.steps.count() == 2


def test_a_refused_journey_edit_that_matches_the_saved_fields_points_at_the_steps(
    cast: Cast,
) -> None:
    editor = client_for(cast.leader)
    path = url("journey_edit", "weekly-shop")
    form = open_form(editor, path)
    client_for(cast.admin).post(url("step_remove", "weekly-shop", cast.world.step.pk))

    refused = editor.post(path, form)

    assert refused.status_code == 409
    assert "what changed is not in this form (its steps, for example)" in refused.content.decode()
    assert not cast.world.journey.steps.exists()


def test_each_step_change_counts_as_a_new_version_of_the_journey(cast: Cast) -> None:
    client = client_for(cast.leader)
    journey = cast.world.journey
    add = url("step_add", journey.key)
    client.post(add, {"name": "Pay", "offering": cast.world.warehouse.pk, "version": 1})
    pay = journey.steps.get(name="Pay")

    up = client.post(url("step_up", journey.key, pay.pk), {"version": 2}, HTTP_HX_REQUEST="true")
    assert up.status_code == 200
    # The partial carries the new version, so the next step is based on it.
    assert 'name="version" value="3"' in up.content.decode()
    client.post(url("step_remove", journey.key, pay.pk), {"version": 3})

    assert stored(m.Journey, cast, pk=journey.pk).version == 4
    assert list(journey.steps.values_list("name", flat=True)) == ["Browse"]


@pytest.mark.parametrize("htmx", [True, False])
def test_a_step_moved_on_an_older_version_is_refused(cast: Cast, htmx: bool) -> None:
    journey = cast.world.journey
    first, second = two_editors(cast)
    first.post(url("step_add", journey.key), {"name": "Pay", "offering": cast.world.shop.pk})
    pay = journey.steps.get(name="Pay")
    assert stored(m.Journey, cast, pk=journey.pk).version == 2
    # The second person's page still shows version 2; the first moves Pay up (version 3).
    first.post(url("step_up", journey.key, pay.pk), {"version": 2})
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    refused = second.post(url("step_down", journey.key, pay.pk), {"version": 2}, **headers)

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else saved this journey" in page
    assert 'name="version" value="3"' in page  # the steps as stored, ready for a retry
    assert list(journey.steps.order_by("position").values_list("name", flat=True)) == [
        "Pay",
        "Browse",
    ]
    assert stored(m.Journey, cast, pk=journey.pk).version == 3


def test_a_step_added_on_an_older_version_is_refused_and_kept_in_the_form(cast: Cast) -> None:
    journey = cast.world.journey
    client_for(cast.admin).post(url("step_remove", journey.key, cast.world.step.pk))

    refused = client_for(cast.leader).post(
        url("step_add", journey.key),
        {"name": "Collect", "offering": cast.world.shop.pk, "version": 1},
        HTTP_HX_REQUEST="true",
    )

    assert refused.status_code == 409
    assert not journey.steps.exists()
    assert refused.context["step_form"]["name"].value() == "Collect"
    assert 'name="version" value="2"' in refused.content.decode()


# --- decisions --------------------------------------------------------------------------------


def propose(cast: Cast, title: str = "Make payments repeatable") -> Decision:
    return assessments_services.decision_propose(
        organisation=cast.world.org,
        draft=assessments_services.DecisionDraft(
            title=title, changes=((cast.world.payments, "repeatable"),)
        ),
        actor=cast.owner.user,
    )


def test_a_decision_saved_by_someone_else_refuses_the_older_edit(cast: Cast) -> None:
    decision = propose(cast)
    first, second = client_for(cast.owner), client_for(cast.leader)
    path = url("decision_edit", decision.key)
    mine, theirs = open_form(first, path), open_form(second, path)
    assert mine["version"] == theirs["version"] == 1

    assert first.post(path, {**mine, "context": "Three teams copy it."}).status_code == 302
    refused = second.post(path, {**theirs, "title": "Keep payments as they are"})

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else saved this decision" in page
    assert "saved “Three teams copy it.”, yours “—”" in page
    decision.refresh_from_db()
    assert (decision.title, decision.context) == (
        "Make payments repeatable",
        "Three teams copy it.",
    )
    assert decision.version == 2
    form = refused.context["form"]
    assert form["context"].value() == "Three teams copy it."
    assert form["version"].value() == 2
    # Its classification change survived both the save and the refusal.
    assert [c.to_classification for c in decision.changes.all()] == ["repeatable"]


def test_a_decision_accepted_while_it_was_edited_refuses_the_edit(cast: Cast) -> None:
    decision = propose(cast)
    editor = client_for(cast.owner)
    path = url("decision_edit", decision.key)
    form = open_form(editor, path)
    client_for(cast.leader).post(url("decision_accept", decision.key), {"version": 1})

    refused = editor.post(path, {**form, "title": "Changed"})

    assert refused.status_code == 409
    assert "can no longer be changed" in refused.content.decode()
    decision.refresh_from_db()
    assert (decision.title, decision.status) == ("Make payments repeatable", "accepted")


def test_a_decision_saved_on_the_current_version_counts_one_more(cast: Cast) -> None:
    decision = propose(cast)
    client = client_for(cast.owner)
    path = url("decision_edit", decision.key)

    response = client.post(path, {**open_form(client, path), "title": "Payments, repeatable"})

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.title, decision.version) == ("Payments, repeatable", 2)


def test_accepting_a_decision_changed_since_the_page_was_shown_is_refused(cast: Cast) -> None:
    decision = propose(cast)
    page = client_for(cast.leader).get(url("decision_detail", decision.key)).content.decode()
    assert 'name="version" value="1"' in page
    editor = client_for(cast.owner)
    path = url("decision_edit", decision.key)
    editor.post(path, {**open_form(editor, path), "consequences": "Payments team grows."})

    refused = client_for(cast.leader).post(url("decision_accept", decision.key), {"version": 1})

    assert refused.status_code == 409
    assert "Someone else changed DEC-001 while you were looking at it" in refused.content.decode()
    decision.refresh_from_db()
    assert (decision.status, decision.version) == (DecisionStatus.PROPOSED, 2)
    assert stored(m.Enabler, cast, key="payments").classification != "repeatable"
    assert 'name="version" value="2"' in refused.content.decode()  # the buttons, for a retry


def test_accepting_on_the_current_version_applies_it_and_counts_every_change(cast: Cast) -> None:
    decision = propose(cast)
    enabler_version = cast.world.payments.version

    response = client_for(cast.leader).post(url("decision_accept", decision.key), {"version": 1})

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.status, decision.version) == (DecisionStatus.ACCEPTED, 2)
    payments = stored(m.Enabler, cast, key="payments")
    assert payments.classification == "repeatable"
    # The enabler changed too, so an edit of it opened before the acceptance is refused.
    assert payments.version == enabler_version + 1


def test_an_enabler_edit_opened_before_a_decision_was_accepted_is_refused(cast: Cast) -> None:
    decision = propose(cast)
    editor = client_for(cast.owner)
    path = url("enabler_edit", "payments")
    form = open_form(editor, path)
    client_for(cast.leader).post(url("decision_accept", decision.key), {"version": 1})

    refused = editor.post(path, {**form, "description": "Card payments"})

    assert refused.status_code == 409
    assert stored(m.Enabler, cast, key="payments").classification == "repeatable"


def test_rejecting_on_an_older_version_is_refused_and_on_the_current_one_counts(
    cast: Cast,
) -> None:
    decision = propose(cast)
    client = client_for(cast.owner)
    path = url("decision_edit", decision.key)
    client.post(path, {**open_form(client, path), "title": "Renamed"})
    leader = client_for(cast.leader)

    assert leader.post(url("decision_reject", decision.key), {"version": 1}).status_code == 409
    assert leader.post(url("decision_reject", decision.key), {"version": 2}).status_code == 302

    decision.refresh_from_db()
    assert (decision.status, decision.version) == (DecisionStatus.REJECTED, 3)


# --- bottleneck flags -------------------------------------------------------------------------


def raise_flag(cast: Cast) -> BottleneckFlag:
    return assessments_services.flag_raise(
        organisation=cast.world.org,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        offering=None,
        journey=None,
        severity="high",
        summary="Payments are slow",
        details="",
        actor=cast.member.user,
    )


def note_form(client: Any, flag: BottleneckFlag) -> dict[str, Any]:
    """The respond form of the flag's page (it posts to the transition of each button)."""
    response = client.get(url("flag_detail", flag.key))
    return values(response.context["note_form"])


def test_a_flag_changed_by_someone_else_refuses_the_older_step(cast: Cast) -> None:
    flag = raise_flag(cast)
    owner, leader = client_for(cast.owner), client_for(cast.leader)
    mine, theirs = note_form(owner, flag), note_form(leader, flag)
    assert mine["version"] == theirs["version"] == 1

    acknowledged = owner.post(
        url("flag_transition", flag.key, "acknowledge"), {**mine, "note": "On it"}
    )
    refused = leader.post(
        url("flag_transition", flag.key, "resolve"), {**theirs, "note": "Fixed, I think"}
    )

    assert acknowledged.status_code == 302
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else changed this flag while you were looking at it" in page
    assert "Their change is kept" in page
    flag.refresh_from_db()
    assert (flag.status, flag.version) == (FlagStatus.ACKNOWLEDGED, 2)
    assert not flag.comments.filter(body="Fixed, I think").exists()
    # Shown again with the new version and the note kept, so the step can be sent again.
    form = refused.context["form"]
    assert form["version"].value() == 2
    assert form["note"].value() == "Fixed, I think"
    retried = leader.post(url("flag_transition", flag.key, "resolve"), values(form))
    assert retried.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.version) == (FlagStatus.RESOLVED, 3)


def test_a_flag_step_on_the_current_version_counts_one_more(cast: Cast) -> None:
    flag = raise_flag(cast)
    client = client_for(cast.owner)

    response = client.post(
        url("flag_transition", flag.key, "acknowledge"), {**note_form(client, flag), "note": ""}
    )

    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.version) == (FlagStatus.ACKNOWLEDGED, 2)
    assert note_form(client, flag)["version"] == 2


# --- the pages carry the version -----------------------------------------------------------


def test_every_edit_form_carries_the_version_it_was_shown_with(cast: Cast) -> None:
    decision = propose(cast)
    flag = raise_flag(cast)
    m.Offering.objects.for_org(cast.world.org).filter(key="shop").update(version=7)
    pages = [
        url("offering_edit", "shop"),
        url("journey_edit", "weekly-shop"),
        url("journey_detail", "weekly-shop"),
        url("decision_edit", decision.key),
        url("decision_detail", decision.key),
        url("flag_detail", flag.key),
        url("flag_transition", flag.key, "acknowledge"),
    ]
    client = client_for(cast.leader)
    for page in pages:
        body = client.get(page).content.decode()
        assert 'type="hidden" name="version"' in body, page
    assert 'name="version" value="7"' in client.get(pages[0]).content.decode()
