"""A team's to-do row, rendered in Python by ``assessment_row``: what the template include
it replaced rendered (whitespace between tags aside), in every state a row can be in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, engines

from assessments import services
from assessments.templatetags.assessment_rows import assessment_row
from assessments.views.rounds import RowView, _assessment_form
from catalogue import models as m
from tests import factories as f
from tests.assessments.test_rounds import assess, open_round, url
from tests.conftest import Cast, client_for

# templates/assessments/rounds/_assessment_row.html as it was.
TEMPLATE = """{% load assessment_rows %}
{% with e=row.enabler a=row.assessment form=row.form %}
<li class="list-group-item py-3" id="assess-{{ e.key }}" data-testid="row-{{ e.key }}">
  <div class="d-flex flex-wrap justify-content-between gap-2">
    <div>
      <h2 class="h6 mb-1" id="enabler-{{ e.key }}"><a href="{{ e.get_absolute_url }}">{{ e.name }}</a></h2>
      <p class="small text-body-secondary mb-0">Owned by {% if e.owner_team %}<a href="{{ e.owner_team.get_absolute_url }}">{{ e.owner_team.name }}</a>{% else %}no team{% endif %}{% if row.todo.offerings %} · used by {{ row.todo.offerings|join:", " }}{% endif %}</p>
    </div>
    <div>{% if a %}<span class="badge text-bg-success">Assessed</span>{% else %}<span class="badge text-bg-light border">Not assessed yet</span>{% endif %}</div>
  </div>
  {% if a %}
  <dl class="row small mb-0 mt-2">
    <dt class="col-5 col-md-2">Fit</dt><dd class="col-7 col-md-2" data-testid="fit">{{ row.fit_words }}</dd>
    <dt class="col-5 col-md-2">Effect on pace</dt><dd class="col-7 col-md-2">{{ row.pace_words }}</dd>
    <dt class="col-5 col-md-2">Preferred</dt><dd class="col-7 col-md-2">{{ row.preferred_words }}</dd>
    {% if a.comment %}<dt class="col-5 col-md-2">Comment</dt><dd class="col-7 col-md-10 text-break">{{ a.comment|linebreaksbr }}</dd>{% endif %}
  </dl>
  {% elif not form %}
  <p class="small text-body-secondary mb-0 mt-2">No assessment{% if round.is_open %} yet{% endif %}.</p>
  {% endif %}
  {% if row.problem %}<div class="alert alert-warning small mt-2 mb-0" role="alert">{{ row.problem }}</div>{% endif %}
  {% if form %}
  {% url 'assessments:assessment_edit' organisation.slug round.key team.key e.key as edit_url %}
  <form method="post" action="{{ edit_url }}" hx-post="{{ edit_url }}" hx-target="#assess-{{ e.key }}" hx-swap="outerHTML" class="row g-2 align-items-start mt-1" novalidate>
    {% csrf_token %}
    {% if form.non_field_errors %}<div class="col-12"><div class="alert alert-danger small mb-0" role="alert">{{ form.non_field_errors|join:" " }}</div></div>{% endif %}
    {% assessment_fields form e.name %}
    <div class="col-12 d-flex flex-wrap align-items-center gap-2">
      <button type="submit" class="btn btn-sm btn-primary" id="save-{{ e.key }}">Save<span class="visually-hidden"> assessment of {{ e.name }}</span></button>
      <button type="reset" class="btn btn-sm btn-outline-secondary">Undo changes<span class="visually-hidden"> to {{ e.name }}</span></button>
      {% if row.saved %}<span class="saved-note small" role="status">Saved</span>{% endif %}
      <span class="htmx-indicator small text-body-secondary">Saving…</span>
    </div>
  </form>
  {% endif %}
</li>
{% endwith %}"""


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _both(page: Any, row: RowView) -> tuple[str, str]:
    context = {
        "row": row,
        "round": page.context["round"],
        "team": page.context["team"],
        "organisation": page.context["organisation"],
        "csrf_token": "token-for-the-test",
    }
    theirs = engines["django"].from_string(TEMPLATE).render(context)
    ours = assessment_row(Context(context), row)
    return _plain(ours), _plain(theirs)


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_every_row_of_the_page_is_what_the_template_rendered(cast: Cast, who: str) -> None:
    world = cast.world
    q4 = open_round(cast)
    odd = f.OfferingFactory(organisation=world.org, name="Shop <two> & “more”", team=world.delivery)
    ownerless = f.EnablerFactory(organisation=world.org, name="Ledger <b>&</b>", owner_team=None)
    plain = f.EnablerFactory(organisation=world.org, name="Audit", owner_team=world.platform)
    for enabler in (ownerless, plain, world.payments):
        m.EnablerUsage.objects.create(organisation=world.org, enabler=enabler, offering=odd)
    assess(cast, q4, ownerless, fit=4, pace=-1, preferred="common", comment="Mostly <ok>\nreally")
    assess(cast, q4, plain, fit=2, pace=1)

    page = client_for(getattr(cast, who)).get(url("round_team", q4.key, "delivery"))

    rows = page.context["rows"]
    assert [r.enabler.name for r in rows] == ["Audit", "Ledger <b>&</b>", "Payments"]
    assert [bool(r.form) for r in rows] == [who == "member"] * 3
    html = _plain(page.content.decode())
    for row in rows:
        ours, theirs = _both(page, row)
        assert ours == theirs
        assert ours.replace("token-for-the-test", "") in re.sub(
            r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html
        )


def test_a_row_sent_back_with_errors_a_problem_or_saved(cast: Cast) -> None:
    q4 = open_round(cast)
    page = client_for(cast.member).get(url("round_team", q4.key, "delivery"))
    todo = page.context["rows"][0].todo
    bound = _assessment_form(todo, {"payments-fit": "9", "payments-comment": "x"})
    assert not bound.is_valid()
    for row in (
        RowView(todo, form=bound),
        RowView(todo, problem="The round closed <meanwhile>. Nothing was saved."),
        RowView(todo, form=_assessment_form(todo), saved=True),
    ):
        ours, theirs = _both(page, row)
        assert ours == theirs


def test_a_closed_round_says_no_assessment(cast: Cast) -> None:
    q4 = open_round(cast)
    services.round_close(assessment_round=q4, actor=cast.leader.user)
    page = client_for(cast.member).get(url("round_team", q4.key, "delivery"))
    row = page.context["rows"][0]
    ours, theirs = _both(page, row)
    assert ours == theirs and "No assessment." in ours
