"""The decision register's pages, through the web client."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Decision, DecisionStatus
from catalogue.models import Enabler
from tests.conftest import Cast, client_for


def propose(c: Cast, title: str, **fields: Any) -> Decision:
    draft = services.DecisionDraft(title=title, **fields)
    return services.decision_propose(organisation=c.world.org, draft=draft, actor=c.owner.user)


def url(name: str, *args: Any) -> str:
    return reverse(f"assessments:{name}", args=["acme", *args])


def listed(c: Cast, query: str) -> list[str]:
    response = client_for(c.viewer).get(url("decision_list") + query)
    assert response.status_code == 200
    return [d.title for d in response.context["page"].object_list]


def form_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"title": "Make payments repeatable", "report": ""}
    data.update(fields)
    return data


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_newest_first(cast: Cast) -> None:
    propose(cast, "First")
    propose(cast, "Second")
    assert listed(cast, "") == ["Second", "First"]


def test_the_status_filter_narrows_the_list(cast: Cast) -> None:
    accepted = propose(cast, "Accepted one")
    services.decision_accept(decision=accepted, actor=cast.leader.user)
    propose(cast, "Still proposed")
    assert listed(cast, "?status=accepted") == ["Accepted one"]
    assert listed(cast, "?status=proposed") == ["Still proposed"]


def test_the_enabler_filter_narrows_the_list(cast: Cast) -> None:
    propose(cast, "On payments", enablers=(cast.world.payments,))
    propose(cast, "On search", enablers=(cast.world.search,))
    propose(cast, "On both", enablers=(cast.world.payments, cast.world.search))
    assert listed(cast, "?enabler=payments") == ["On both", "On payments"]  # a link's key
    assert listed(cast, "?enabler=Search") == ["On both", "On search"]  # a typed name
    assert listed(cast, "?enabler=ymen") == ["On both", "On payments"]  # part of one
    assert listed(cast, "?enabler=e") == ["On both", "On search", "On payments"]  # once each


def test_the_area_filter_keeps_enablers_used_in_the_area(cast: Cast) -> None:
    # shop (area food) uses payments; nothing in food uses search.
    propose(cast, "On payments", enablers=(cast.world.payments,))
    propose(cast, "On search", enablers=(cast.world.search,))
    assert listed(cast, "?area=food") == ["On payments"]


def test_the_text_search_reads_title_context_and_decision(cast: Cast) -> None:
    propose(cast, "Alpha")
    propose(cast, "Beta", context="The ledger is slow")
    propose(cast, "Gamma", decision="Split the LEDGER")
    assert listed(cast, "?q=ledger") == ["Gamma", "Beta"]


def test_review_due_lists_accepted_decisions_past_their_review_date(cast: Cast) -> None:
    today = timezone.localdate()
    due = propose(cast, "Due", review_on=today - timedelta(days=1))
    later = propose(cast, "Later", review_on=today + timedelta(days=30))
    for decision in (due, later):
        services.decision_accept(decision=decision, actor=cast.leader.user)
    propose(cast, "Proposed and due", review_on=today - timedelta(days=1))
    assert listed(cast, "?review_due=on") == ["Due"]


def test_an_empty_register_says_what_to_do(cast: Cast) -> None:
    owner_page = client_for(cast.owner).get(url("decision_list")).content.decode()
    viewer_page = client_for(cast.viewer).get(url("decision_list")).content.decode()
    assert "No decisions yet" in owner_page
    assert url("decision_new") in owner_page
    assert url("decision_new") not in viewer_page


def test_the_list_rows_come_as_a_partial_to_htmx(cast: Cast) -> None:
    propose(cast, "First")
    response = client_for(cast.viewer).get(url("decision_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="rows"' in body and "First" in body
    assert "<html" not in body


# --- the timeline ----------------------------------------------------------------------------


def test_the_timeline_is_in_date_order(cast: Cast) -> None:
    old = propose(cast, "Decided long ago")
    new = propose(cast, "Decided lately")
    Decision.objects.for_org(cast.world.org).filter(pk=old.pk).update(
        status=DecisionStatus.ACCEPTED, decided_on=date(2024, 1, 5)
    )
    Decision.objects.for_org(cast.world.org).filter(pk=new.pk).update(
        status=DecisionStatus.ACCEPTED, decided_on=date(2025, 3, 1)
    )
    body = client_for(cast.viewer).get(url("decision_timeline")).content.decode()
    assert body.index("Decided long ago") < body.index("Decided lately")
    assert body.index("January 2024") < body.index("March 2025")


# --- one decision ----------------------------------------------------------------------------


def test_the_page_shows_the_supersede_chain_both_ways(cast: Cast) -> None:
    first = propose(cast, "First take")
    services.decision_accept(decision=first, actor=cast.leader.user)
    second = propose(cast, "Second take", supersedes=first)
    services.decision_accept(decision=second, actor=cast.leader.user)
    propose(cast, "Third take", supersedes=second)
    response = client_for(cast.viewer).get(second.get_absolute_url())
    assert [d.title for d in response.context["older"]] == ["First take"]
    assert [d.title for d in response.context["newer"]] == ["Third take"]
    body = response.content.decode()
    assert "First take" in body and "Third take" in body


def test_text_is_shown_as_plain_text(cast: Cast) -> None:
    decision = propose(cast, "Plain", context="<script>alert(1)</script>\n\nSecond *para*")
    body = client_for(cast.viewer).get(decision.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;" in body
    assert "<p>Second *para*</p>" in body


def test_a_viewer_sees_no_edit_or_decide_buttons(cast: Cast) -> None:
    decision = propose(cast, "Proposed")
    body = client_for(cast.viewer).get(decision.get_absolute_url()).content.decode()
    assert url("decision_edit", decision.key) not in body
    assert url("decision_accept", decision.key) not in body


def test_leadership_sees_accept_and_reject(cast: Cast) -> None:
    decision = propose(cast, "Proposed")
    body = client_for(cast.leader).get(decision.get_absolute_url()).content.decode()
    assert url("decision_accept", decision.key) in body
    assert url("decision_reject", decision.key) in body


def test_a_stale_from_is_shown_while_proposed(cast: Cast) -> None:
    payments = cast.world.payments  # common
    decision = propose(cast, "Stale", changes=((payments, "repeatable"),))
    Enabler.objects.for_org(cast.world.org).filter(pk=payments.pk).update(
        classification="independent"
    )
    body = client_for(cast.viewer).get(decision.get_absolute_url()).content.decode()
    assert "now: independent" in body


# --- proposing and editing -------------------------------------------------------------------


def test_an_owner_proposes_a_decision(cast: Cast) -> None:
    data = form_data(enablers=["payments"], enabler_1="Payments", to_1="repeatable")
    response = client_for(cast.owner).post(url("decision_new"), data)
    decision = Decision.objects.for_org(cast.world.org).get()
    assert response.status_code == 302
    assert response["Location"] == decision.get_absolute_url()
    assert decision.reference == "DEC-001"
    assert decision.status == DecisionStatus.PROPOSED
    change = decision.changes.get()
    assert (change.enabler, change.from_classification) == (cast.world.payments, "common")
    assert change.to_classification == "repeatable"


def test_a_change_row_error_shows_next_to_the_row(cast: Cast) -> None:
    data = form_data(enabler_1="No such thing", to_1="repeatable")
    response = client_for(cast.owner).post(url("decision_new"), data)
    assert response.status_code == 400
    assert "No proposed or active enabler is called" in response.content.decode()
    assert not Decision.objects.for_org(cast.world.org).exists()


def test_the_form_is_prefilled_from_the_query_string(cast: Cast) -> None:
    query = (
        "?title=From+a+finding&enabler=payments&enabler=nope&change=search:repeatable"
        "&change=nope:common&change=payments:sideways&flag=nope&report=99999999"
        "&supersedes=nope&merge_into=payments&merge_from=search&merge_from=nope"
    )
    response = client_for(cast.owner).get(url("decision_new") + query)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["title"].value() == "From a finding"
    assert form["enabler_1"].value() == "Search"
    assert form["to_1"].value() == "repeatable"
    assert form["enabler_2"].value() in (None, "")
    body = response.content.decode()
    assert '<option value="payments" selected>' in body


def test_a_decision_that_supersedes_another_starts_from_its_page(cast: Cast) -> None:
    older = propose(cast, "Older")
    body = client_for(cast.owner).get(older.get_absolute_url()).content.decode()
    assert f"{url('decision_new')}?supersedes={older.key}" in body
    data = form_data(title="Newer", supersedes=older.key)
    client_for(cast.owner).post(url("decision_new"), data)
    newer = Decision.objects.for_org(cast.world.org).get(title="Newer")
    assert newer.supersedes == older


def test_editing_a_proposed_decision_saves_it(cast: Cast) -> None:
    decision = propose(cast, "Draft")
    response = client_for(cast.owner).get(url("decision_edit", decision.key))
    assert response.context["form"]["title"].value() == "Draft"
    response = client_for(cast.owner).post(
        url("decision_edit", decision.key), form_data(title="Better")
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.title == "Better"


def test_editing_an_accepted_decision_is_refused(cast: Cast) -> None:
    decision = propose(cast, "Done")
    services.decision_accept(decision=decision, actor=cast.leader.user)
    response = client_for(cast.owner).post(
        url("decision_edit", decision.key), form_data(title="Changed")
    )
    assert response.status_code == 409
    assert "can no longer be changed" in response.content.decode()
    decision.refresh_from_db()
    assert decision.title == "Done"


# --- accepting and rejecting -----------------------------------------------------------------


def test_accepting_applies_the_classification_change(cast: Cast) -> None:
    decision = propose(cast, "Repeatable payments", changes=((cast.world.payments, "repeatable"),))
    response = client_for(cast.leader).post(url("decision_accept", decision.key))
    assert response.status_code == 302
    decision.refresh_from_db()
    cast.world.payments.refresh_from_db()
    assert decision.status == DecisionStatus.ACCEPTED
    assert cast.world.payments.classification == "repeatable"


def test_accepting_with_a_stale_from_changes_nothing(cast: Cast) -> None:
    payments = cast.world.payments
    decision = propose(cast, "Stale", changes=((payments, "repeatable"),))
    Enabler.objects.for_org(cast.world.org).filter(pk=payments.pk).update(
        classification="independent"
    )
    response = client_for(cast.leader).post(url("decision_accept", decision.key))
    assert response.status_code == 409
    assert "cannot be accepted" in response.content.decode()
    decision.refresh_from_db()
    payments.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert payments.classification == "independent"


def test_rejecting_changes_nothing_but_the_status(cast: Cast) -> None:
    decision = propose(cast, "No", changes=((cast.world.payments, "repeatable"),))
    client_for(cast.leader).post(url("decision_reject", decision.key))
    decision.refresh_from_db()
    cast.world.payments.refresh_from_db()
    assert decision.status == DecisionStatus.REJECTED
    assert cast.world.payments.classification == "common"


def test_accepting_twice_is_refused(cast: Cast) -> None:
    decision = propose(cast, "Once")
    client_for(cast.leader).post(url("decision_accept", decision.key))
    response = client_for(cast.leader).post(url("decision_accept", decision.key))
    assert response.status_code == 409


# --- the enabler page ------------------------------------------------------------------------


def test_the_enabler_page_shows_its_decisions(cast: Cast) -> None:
    propose(cast, "Repeatable payments", changes=((cast.world.payments, "repeatable"),))
    propose(cast, "About search", enablers=(cast.world.search,))
    enabler_url = reverse("catalogue:enabler_detail", args=["acme", "payments"])
    body = client_for(cast.viewer).get(enabler_url).content.decode()
    assert 'data-testid="decisions-panel"' in body
    assert "DEC-001: Repeatable payments" in body
    assert "common → <strong>repeatable</strong>" in body
    assert "About search" not in body


def test_the_enabler_panel_names_a_merge_from_each_side(cast: Cast) -> None:
    propose(
        cast,
        "Search into payments",
        merge_into=cast.world.payments,
        merge_from=(cast.world.search,),
    )
    # The other organisation's decision on its own payments is not shown here.
    services.decision_propose(
        organisation=cast.other.org,
        draft=services.DecisionDraft(title="Elsewhere", enablers=(cast.other.payments,)),
        actor=cast.outsider.user,
    )

    def panel(key: str) -> str:
        body = (
            client_for(cast.viewer)
            .get(reverse("catalogue:enabler_detail", args=["acme", key]))
            .content.decode()
        )
        return body[body.index('data-testid="decisions-panel"') :]

    merged_away, kept = panel("search"), panel("payments")
    assert "DEC-001: Search into payments" in merged_away
    assert "· merged into Payments" in merged_away
    assert "DEC-001: Search into payments" in kept and "· others merged into it" in kept
    assert "merged into Payments" not in kept
    assert "Elsewhere" not in kept


def test_the_history_says_who_decided(cast: Cast) -> None:
    decision = propose(cast, "Decided")
    services.decision_accept(decision=decision, actor=cast.leader.user)
    body = client_for(cast.viewer).get(decision.get_absolute_url()).content.decode()
    assert "marked it accepted" in body
    assert "proposed it" in body
