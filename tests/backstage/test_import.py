"""The Backstage import against the database: preview, apply, re-import, problems, queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue import backstage as b
from catalogue import models as m
from catalogue import services
from catalogue.backstage import Target
from catalogue.backstage_import import PreviewChanged, backstage_import, backstage_preview
from tests.conftest import Cast

FILES = Path(__file__).parent / "files"
SHOP = ("org.yaml", "catalog-info.yaml", "ops.yaml")


def fixture(*names: str) -> list[tuple[str, str]]:
    return [(name, (FILES / name).read_text()) for name in names]


def scoped(cast: Cast, model: type[Any]) -> Any:
    return model.objects.for_org(cast.world.org)  # type: ignore[attr-defined]


def generation(cast: Cast) -> int:
    return m.Organisation.objects.get(pk=cast.world.org.pk).generation


def snapshot(cast: Cast) -> dict[str, int]:
    """How many of everything acme has, to prove nothing was written."""
    models = [m.BusinessArea, m.Team, m.Offering, m.Enabler, m.EnablerUsage, m.ChangeRecord]
    counts = {model.__name__: scoped(cast, model).count() for model in models}
    counts["history"] = m.Enabler.history.filter(organisation=cast.world.org).count()
    counts["generation"] = generation(cast)
    return counts


def component(name: str, **spec: str) -> str:
    lines = "".join(f"  {k}: {v}\n" for k, v in spec.items())
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\nspec:\n{lines}"
    )


def test_the_catalogue_key_rules_are_the_ones_the_pure_module_repeats() -> None:
    assert b.KEY_PATTERN.pattern == m.key_validator.regex.pattern
    assert b.KEY_MAX_LENGTH == m.KEY_MAX_LENGTH
    assert m.Keyed._meta.get_field("name").max_length == b.NAME_MAX_LENGTH
    assert m.Keyed._meta.get_field("description").max_length == b.DESCRIPTION_MAX_LENGTH


# --- the preview ---------------------------------------------------------------------------


def test_a_preview_shows_what_would_be_created_and_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    preview = backstage_preview(organisation=cast.world.org, files=fixture(*SHOP))

    counts = preview.counts
    # 4 teams, 2 areas, 2 offerings, 8 enablers; 5 usages; 2 users, an API, a Location and
    # a Template skipped.
    assert (counts.created, counts.updated, counts.unchanged) == (16, 0, 0)
    assert (counts.usages, counts.skipped) == (5, 5)
    assert [len(s.rows) for s in preview.sections] == [2, 4, 2, 8]
    assert preview.problems == []
    assert preview.can_import
    assert snapshot(cast) == before


def test_a_preview_names_what_new_items_are_set_to(cast: Cast) -> None:
    preview = backstage_preview(organisation=cast.world.org, files=fixture(*SHOP))
    lines = preview.lines()

    assert (
        "+ enabler checkout-service “checkout-service”: Kind Platform; Lifecycle Active; "
        "Tags java, payments; Owning team Payments Team; now used by Online shop"
    ) in lines
    assert (
        "+ offering online-shop “Online shop”: Kind Service; Owning team Payments Team; "
        "Business area retail"
    ) in lines
    assert "- API checkout-api (catalog-info.yaml, document 11 (line 115)): APIs are " in "\n".join(
        lines
    )


# --- the import ----------------------------------------------------------------------------


def test_the_import_creates_areas_teams_offerings_enablers_and_usages(cast: Cast) -> None:
    preview = backstage_import(
        organisation=cast.world.org, files=fixture(*SHOP), actor=cast.leader.user
    )

    assert preview.describe() == "16 created, 0 updated, 0 unchanged, 5 usages added, 5 skipped"
    teams = {t.key: t for t in scoped(cast, m.Team)}
    assert teams["payments-team"].name == "Payments Team"
    assert teams["payments-team"].kind == m.TeamKind.DELIVERY
    assert teams["payments-team"].description == "Takes the money, refunds it when asked"
    shop = scoped(cast, m.Offering).get(key="online-shop")
    assert (shop.name, shop.kind, shop.team.key, shop.business_area.key) == (
        "Online shop",
        m.OfferingKind.SERVICE,
        "payments-team",
        "retail",
    )
    enablers = {e.key: e for e in scoped(cast, m.Enabler)}
    checkout = enablers["checkout-service"]
    assert (checkout.kind, checkout.lifecycle, checkout.tags) == (
        "platform",
        "active",
        ["java", "payments"],
    )
    assert checkout.owner_team.key == "payments-team"
    assert checkout.description == "Turns a basket into a paid order"
    assert checkout.created_by == cast.leader.user
    assert (enablers["storefront"].kind, enablers["storefront"].lifecycle) == (
        "internal_service",
        "proposed",
    )
    assert enablers["orders-db"].kind == "data"
    assert enablers["ops-pager-bridge"].lifecycle == "proposed"  # "beta": unknown
    assert enablers["ops-pager-bridge"].owner_team is None  # owned by a person
    usages = {
        (u.enabler.key, u.offering.key, u.criticality)
        for u in scoped(cast, m.EnablerUsage).select_related("enabler", "offering")
    }
    assert usages >= {
        ("checkout-service", "online-shop", "medium"),
        ("storefront", "online-shop", "medium"),
        ("orders-db", "online-shop", "medium"),
        ("receipts-bucket", "fulfilment", "medium"),
        ("ops-pager-bridge", "fulfilment", "medium"),
    }


def test_the_import_records_history_one_change_line_and_one_generation(cast: Cast) -> None:
    before = generation(cast)
    changes = scoped(cast, m.ChangeRecord).count()

    backstage_import(organisation=cast.world.org, files=fixture(*SHOP), actor=cast.leader.user)

    history = m.Enabler.history.filter(key="checkout-service", organisation=cast.world.org)
    assert [(h.history_type, h.history_user, h.version) for h in history] == [
        ("+", cast.leader.user, 1)
    ]
    assert history.get().history_change_reason == "Backstage import"
    assert generation(cast) == before + 1
    assert scoped(cast, m.ChangeRecord).count() == changes + 1
    line = scoped(cast, m.ChangeRecord).first()
    assert line.summary == (
        "Backstage import: 16 created, 0 updated, 0 unchanged, 5 usages added, 5 skipped"
    )
    assert line.actor == cast.leader.user


def test_importing_the_same_files_again_changes_nothing(cast: Cast) -> None:
    backstage_import(organisation=cast.world.org, files=fixture(*SHOP), actor=cast.leader.user)
    before = snapshot(cast)

    again = backstage_import(
        organisation=cast.world.org, files=fixture(*SHOP), actor=cast.leader.user
    )

    assert (again.counts.created, again.counts.updated, again.counts.usages) == (0, 0, 0)
    assert again.counts.unchanged == 16
    assert not again.can_import
    assert snapshot(cast) == before


def test_an_import_updates_existing_items_by_key_and_names_the_fields(cast: Cast) -> None:
    payments = cast.world.payments
    text = (
        component(
            "payments",
            type="library",
            lifecycle="deprecated",
            owner="delivery",
            system="warehouse",
        )
        + "---\n"
        + "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
        "metadata:\n  name: platform\n  description: Runs the platforms\n"
        "spec:\n  type: team\n  children: []\n  profile: {displayName: Platform}\n"
    )
    preview = backstage_preview(organisation=cast.world.org, files=[("a.yaml", text)])
    row = preview.rows_for(Target.ENABLER)[0]
    assert row.status == "update"
    assert [(c.label, c.before, c.after) for c in row.changes] == [
        ("Name", "Payments", "payments"),
        ("Kind", "Platform", "Capability"),
        ("Lifecycle", "Active", "Deprecated"),
        ("Owning team", "Platform", "Delivery"),
    ]
    assert row.uses_shown == ["Warehouse"]

    backstage_import(organisation=cast.world.org, files=[("a.yaml", text)], actor=cast.admin.user)

    payments.refresh_from_db()
    assert (payments.kind, payments.lifecycle, payments.owner_team) == (
        "capability",
        "deprecated",
        cast.world.delivery,
    )
    assert payments.version == 2
    latest = payments.history.first()
    assert (latest.history_type, latest.history_user, latest.version) == ("~", cast.admin.user, 2)
    platform = scoped(cast, m.Team).get(key="platform")
    # An existing team's kind is left alone; its description comes from Backstage.
    assert (platform.kind, platform.description) == (m.TeamKind.PLATFORM, "Runs the platforms")
    assert scoped(cast, m.EnablerUsage).filter(enabler=payments, offering=cast.world.warehouse)


def test_a_new_enabler_lists_its_fields_in_one_order_whatever_its_lifecycle(
    cast: Cast,
) -> None:
    # An unknown lifecycle is set only on a new enabler, a known one on every import:
    # the preview names both in the same place.
    known = component("known", type="service", lifecycle="production", owner="delivery")
    unknown = component("unknown", type="service", lifecycle="sandbox", owner="delivery")
    preview = backstage_preview(
        organisation=cast.world.org, files=[("a.yaml", known + "---\n" + unknown)]
    )

    labels = [[c.label for c in row.changes] for row in preview.rows_for(Target.ENABLER)]
    assert labels == [["Kind", "Lifecycle", "Owning team"]] * 2


def test_the_preview_lines_come_kind_by_kind_with_a_tally_of_each(cast: Cast) -> None:
    preview = backstage_preview(organisation=cast.world.org, files=fixture(*SHOP))

    targets = [line.split()[1] for line in preview.lines() if line[0] in "+~="]
    assert targets == ["business"] * 2 + ["team"] * 4 + ["offering"] * 2 + ["enabler"] * 8
    assert preview.tallies() == [
        "Business areas: 2 created, 0 updated, 0 unchanged",
        "Teams: 4 created, 0 updated, 0 unchanged",
        "Offerings: 2 created, 0 updated, 0 unchanged",
        "Enablers: 8 created, 0 updated, 0 unchanged, 5 usages added",
        "Skipped: 2 User, 1 API, 1 Location, 1 Template",
    ]


def test_an_unknown_lifecycle_leaves_an_existing_enabler_lifecycle(cast: Cast) -> None:
    text = component("search", type="service", lifecycle="beta", owner="delivery")
    backstage_import(organisation=cast.world.org, files=[("a.yaml", text)], actor=None)
    assert scoped(cast, m.Enabler).get(key="search").lifecycle == "active"


def test_an_existing_usage_is_not_added_twice(cast: Cast) -> None:
    # payments is used by shop already (the cast's usage).
    text = component(
        "payments", type="service", lifecycle="production", owner="platform", system="shop"
    )
    preview = backstage_preview(organisation=cast.world.org, files=[("a.yaml", text)])
    assert preview.counts.usages == 0


def test_only_the_organisation_imported_into_changes(cast: Cast) -> None:
    other = m.Enabler.objects.for_org(cast.other.org).get(key="payments")

    backstage_import(organisation=cast.world.org, files=fixture(*SHOP), actor=None)

    assert not m.Team.objects.for_org(cast.other.org).filter(key="payments-team").exists()
    assert m.Enabler.objects.for_org(cast.other.org).get(key="payments").version == other.version


def test_a_command_import_names_nobody_in_the_history(cast: Cast) -> None:
    backstage_import(organisation=cast.world.org, files=fixture(*SHOP), actor=None)
    history = m.Enabler.history.filter(organisation=cast.world.org, key="orders-db").get()
    assert history.history_user is None
    assert scoped(cast, m.ChangeRecord).first().actor is None


# --- problems: nothing written --------------------------------------------------------------


def test_a_bad_file_among_good_ones_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    with pytest.raises(b.BackstageError) as caught:
        backstage_import(
            organisation=cast.world.org,
            files=fixture(*SHOP, "broken.yaml"),
            actor=cast.leader.user,
        )

    assert caught.value.problems[0].startswith("broken.yaml, document 2, line 16")
    assert snapshot(cast) == before


def test_a_name_taken_by_another_item_is_a_problem_and_writes_nothing(cast: Cast) -> None:
    # The team "Platform" exists with the key platform; this group would be "PLATFORM".
    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\n"
        "metadata:\n  name: platform-people\n  title: PLATFORM\nspec:\n  type: team\n"
        "  children: []\n---\n" + component("new-thing", type="service", owner="platform-people")
    )
    before = snapshot(cast)

    preview = backstage_preview(organisation=cast.world.org, files=[("a.yaml", text)])
    with pytest.raises(b.BackstageError):
        backstage_import(organisation=cast.world.org, files=[("a.yaml", text)], actor=None)

    assert preview.problems == [
        "a.yaml, document 1 (line 1): group:platform-people would be the team “PLATFORM”, "
        "but the team “Platform” (key platform) already has that name. Rename one of them "
        "(metadata.title in Backstage), or skip Groups."
    ]
    assert not preview.can_import
    assert snapshot(cast) == before


def test_a_reserved_key_is_a_problem(cast: Cast) -> None:
    preview = backstage_preview(
        organisation=cast.world.org, files=[("a.yaml", component("new", type="service"))]
    )
    assert "“new” names a page" in preview.problems[0]


def test_an_import_that_would_differ_from_the_preview_seen_writes_nothing(cast: Cast) -> None:
    preview = backstage_preview(organisation=cast.world.org, files=fixture(*SHOP))
    services.item_save(
        item=m.Team(organisation=cast.world.org, key="payments-team", name="Payments"),
        actor=cast.admin.user,
        created=True,
    )
    before = snapshot(cast)

    with pytest.raises(PreviewChanged) as caught:
        backstage_import(
            organisation=cast.world.org,
            files=fixture(*SHOP),
            actor=cast.leader.user,
            expected_digest=preview.digest(),
        )

    assert caught.value.preview.counts.updated == 1
    assert snapshot(cast) == before


def test_the_same_preview_has_the_same_digest_and_a_new_mapping_another(cast: Cast) -> None:
    files = fixture(*SHOP)
    first = backstage_preview(organisation=cast.world.org, files=files)
    same = backstage_preview(organisation=cast.world.org, files=files)
    other = backstage_preview(
        organisation=cast.world.org, files=files, mapping=b.mapping_with({"Resource": "skip"})
    )
    assert first.digest() == same.digest() != other.digest()


# --- queries do not grow with the files -----------------------------------------------------


def many(n: int) -> list[tuple[str, str]]:
    """n each of groups, domains, systems, components and resources that point at each
    other."""
    docs = []
    for i in range(n):
        docs += [
            f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: team-{i}}}\n"
            "spec: {type: team, children: []}\n",
            f"apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {{name: area-{i}}}\n"
            f"spec: {{owner: team-{i}}}\n",
            f"apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {{name: system-{i}}}\n"
            f"spec: {{owner: team-{i}, domain: area-{i}}}\n",
            component(f"c-{i}", type="service", lifecycle="production", owner=f"team-{i}")
            + f"  system: system-{i}\n",
            f"apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {{name: db-{i}}}\n"
            f"spec: {{type: database, owner: team-{i}, system: system-{i}}}\n",
        ]
    return [("many.yaml", "---\n".join(docs))]


def queries(run: object) -> int:
    with CaptureQueriesContext(connection) as context:
        run()  # type: ignore[operator]
    return len(context.captured_queries)


def test_preview_queries_do_not_grow_with_the_number_of_entities(cast: Cast) -> None:
    small = queries(lambda: backstage_preview(organisation=cast.world.org, files=many(1)))
    large = queries(lambda: backstage_preview(organisation=cast.world.org, files=many(50)))
    assert small == large == 5


@pytest.mark.parametrize("existing", [False, True], ids=["creating", "updating"])
def test_import_queries_do_not_grow_with_the_number_of_entities(cast: Cast, existing: bool) -> None:
    # 5 and 50 entities (a group, domain, system, component and resource each time). On
    # SQLite a bulk write is split every few hundred parameters, so far larger files take a
    # few more queries there; PostgreSQL writes each kind in one.
    counts = []
    for n, org in ((1, cast.world.org), (10, cast.other.org)):
        if existing:
            backstage_import(organisation=org, files=many(n), actor=None)
        files = many(n)
        if existing:  # every item changes: a description each
            files = [(name, described(text)) for name, text in files]
        with CaptureQueriesContext(connection) as context:
            preview = backstage_import(organisation=org, files=files, actor=cast.leader.user)
        assert preview.counts.updated == (5 * n if existing else 0)
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]


def described(text: str) -> str:
    text = text.replace("metadata: {name:", "metadata: {description: new, name:")
    return text.replace("metadata:\n  name:", "metadata:\n  description: new\n  name:")


def test_an_offering_updated_by_an_import_counts_a_new_version(cast: Cast) -> None:
    # An edit of the offering opened before the import is then refused, not let undo it.
    shop = cast.world.shop
    before = shop.version
    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: System\n"
        "metadata:\n  name: shop\n  description: The online shop, from Backstage\n"
        "spec:\n  owner: delivery\n"
    )

    backstage_import(organisation=cast.world.org, files=[("s.yaml", text)], actor=cast.admin.user)

    shop.refresh_from_db()
    assert shop.description == "The online shop, from Backstage"
    assert shop.version == before + 1
