"""The pure reading, reference rules and mapping of Backstage descriptor files (no database)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalogue import backstage as b
from catalogue.backstage import EntityRef, Target

FILES = Path(__file__).parent / "files"


def fixture(*names: str) -> list[tuple[str, str]]:
    return [(name, (FILES / name).read_text()) for name in names]


def shop_plan(**kwargs: object) -> b.Plan:
    return b.plan(b.read_files(fixture("org.yaml", "catalog-info.yaml", "ops.yaml")), **kwargs)  # type: ignore[arg-type]


def item(plan: b.Plan, target: Target, key: str) -> b.PlannedItem:
    return next(i for i in plan.items if i.target is target and i.key == key)


def problems_of(*files: tuple[str, str]) -> list[str]:
    with pytest.raises(b.BackstageError) as caught:
        b.read_files(files)
    return caught.value.problems


COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  namespace: {namespace}
spec:
  type: service
  lifecycle: production
  owner: {owner}
"""


# --- entity references ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payments", EntityRef("group", "shop", "payments")),
        ("ops/payments", EntityRef("group", "ops", "payments")),
        ("user:jane", EntityRef("user", "shop", "jane")),
        ("Group:Default/Payments_Team", EntityRef("group", "default", "payments_team")),
        # A slash before the first colon: no kind, the rest is the name (as Backstage reads it).
        ("ops/odd:name", EntityRef("group", "ops", "odd:name")),
        ({"kind": "Group", "name": "pet-managers"}, EntityRef("group", "shop", "pet-managers")),
        ({"name": "x", "namespace": "ops"}, EntityRef("group", "ops", "x")),
    ],
)
def test_references_take_kind_and_namespace_from_the_context(
    text: object, expected: EntityRef
) -> None:
    assert b.parse_ref(text, default_kind="group", default_namespace="shop") == expected


@pytest.mark.parametrize("text", ["group:", ":name", "ops/", "group:/name", "", 42, {"kind": "x"}])
def test_malformed_references_are_refused(text: object) -> None:
    with pytest.raises(b.RefError):
        b.parse_ref(text, default_kind="group", default_namespace="default")


@pytest.mark.parametrize(
    ("namespace", "name", "key"),
    [
        ("default", "checkout-service", "checkout-service"),
        ("default", "Money_Utils", "money-utils"),
        ("default", "a.b_c", "a-b-c"),
        ("ops", "payments", "ops-payments"),
        ("Ops", "Pager_Bridge", "ops-pager-bridge"),
        ("default", "a-_b", "a-b"),
    ],
)
def test_keys_come_from_names_and_non_default_namespaces(
    namespace: str, name: str, key: str
) -> None:
    assert b.key_for(namespace, name) == key
    assert b.valid_key(key)


def test_a_key_longer_than_the_catalogue_allows_is_not_valid() -> None:
    assert not b.valid_key(b.key_for("n" * 30, "x" * 40))


# --- reading files --------------------------------------------------------------------------


def test_reading_finds_every_entity_with_its_file_document_and_line() -> None:
    reading = b.read_files(fixture("catalog-info.yaml"))

    assert len(reading.entities) == 12
    first = reading.entities[0]
    assert (first.kind, first.name, first.place) == (
        "Domain",
        "retail",
        b.Place("catalog-info.yaml", 1, 2),
    )
    assert str(reading.entities[4].place) == "catalog-info.yaml, document 5 (line 37)"


def test_malformed_yaml_names_file_document_and_line() -> None:
    assert problems_of(*fixture("broken.yaml")) == [
        "broken.yaml, document 2, line 16, column 14: not valid YAML: mapping values are not "
        "allowed here."
    ]


def test_a_document_without_a_name_is_a_problem_naming_its_place() -> None:
    assert problems_of(*fixture("missing-name.yaml")) == [
        "missing-name.yaml, document 2 (line 10): metadata.name missing (Component)."
    ]


def test_a_file_that_is_not_backstage_at_all_is_refused() -> None:
    assert problems_of(*fixture("kubernetes.yaml")) == [
        "kubernetes.yaml: not a Backstage descriptor file: no document has a backstage.io "
        "apiVersion."
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("just some words", "document 1 (line 1): not a Backstage entity"),
        ("- a\n- list\n", "document 1 (line 1): not a Backstage entity"),
        ("kind: Component\nmetadata: {name: x}\n", "document 1 (line 1): apiVersion missing."),
        ("apiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\n", "kind missing."),
        ("apiVersion: backstage.io/v1alpha1\nkind: Group\n", "metadata.name missing (Group)."),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: 'two  words'}\n",
            "is not a Backstage name",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: x, namespace: a_b}\n",
            "is not a Backstage namespace",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: x, tags: a}\n",
            "metadata.tags must be a list",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: 2024}\n",
            "must be text",
        ),
        ("", "no entities found"),
    ],
)
def test_each_document_is_checked(text: str, problem: str) -> None:
    problems = problems_of(("bad.yaml", text))
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml")
    assert problem in problems[0]


def test_problems_of_every_file_are_reported_together() -> None:
    problems = problems_of(*fixture("broken.yaml", "missing-name.yaml", "org.yaml"))
    assert [p.split(",")[0] for p in problems] == ["broken.yaml", "missing-name.yaml"]


def test_a_foreign_document_next_to_backstage_ones_is_skipped_with_its_reason() -> None:
    text = (FILES / "org.yaml").read_text() + "\n---\n" + (FILES / "kubernetes.yaml").read_text()
    plan = b.plan(b.read_files([("mixed.yaml", text)]))
    assert [s.reason for s in plan.skipped if s.kind == "Deployment"] == [
        "apiVersion apps/v1 is not Backstage's"
    ]


def test_empty_documents_between_separators_are_ignored() -> None:
    text = "---\n---\n" + COMPONENT.format(name="x", namespace="default", owner="g") + "---\n"
    assert [e.name for e in b.read_files([("a.yaml", text)]).entities] == ["x"]


# --- the default mapping --------------------------------------------------------------------


def test_groups_become_delivery_teams_named_by_their_display_name() -> None:
    plan = shop_plan()
    assert {(i.key, i.name) for i in plan.of(Target.TEAM)} == {
        ("engineering", "engineering"),  # no displayName nor title: the name
        ("payments-team", "Payments Team"),  # spec.profile.displayName
        ("web-platform", "Web Platform"),  # metadata.title
        ("ops-sre", "Site Reliability"),
    }
    assert item(plan, Target.TEAM, "payments-team").on_create == {"kind": "delivery"}


def test_domains_become_business_areas_and_systems_offerings_in_them() -> None:
    plan = shop_plan()
    assert {i.key for i in plan.of(Target.AREA)} == {"retail", "back-office"}
    shop = item(plan, Target.OFFERING, "online-shop")
    assert shop.fields == {"name": "Online shop", "description": "Where customers browse and buy"}
    assert shop.on_create == {"kind": "service"}
    assert shop.links == {"team": "payments-team", "business_area": "retail"}
    # Full references, with kind and namespace, resolve the same way.
    assert item(plan, Target.OFFERING, "fulfilment").links == {
        "team": "web-platform",
        "business_area": "back-office",
    }


@pytest.mark.parametrize(
    ("key", "kind", "lifecycle"),
    [
        ("checkout-service", "platform", "active"),  # service, production
        ("storefront", "internal_service", "proposed"),  # website, experimental
        ("money-utils", "capability", "deprecated"),  # library, deprecated
    ],
)
def test_components_become_enablers_by_type_and_lifecycle(
    key: str, kind: str, lifecycle: str
) -> None:
    enabler = item(shop_plan(), Target.ENABLER, key)
    assert (enabler.fields["kind"], enabler.fields["lifecycle"]) == (kind, lifecycle)


@pytest.mark.parametrize(
    ("key", "kind"),
    [("orders-db", "data"), ("receipts-bucket", "data"), ("k8s-cluster", "platform")],
)
def test_resources_are_data_when_they_hold_data_else_platforms(key: str, kind: str) -> None:
    enabler = item(shop_plan(), Target.ENABLER, key)
    assert enabler.fields["kind"] == kind
    assert "lifecycle" not in enabler.fields  # resources have none in Backstage


@pytest.mark.parametrize(
    ("resource_type", "data"),
    [
        ("database", True),
        ("postgres-db", True),
        ("gcs-bucket", True),
        ("object-storage", True),
        ("dataset", True),
        ("kafka-topic", False),
        ("cluster", False),
        ("", False),
    ],
)
def test_which_resource_types_hold_data(resource_type: str, data: bool) -> None:
    assert b.is_data_resource(resource_type) is data


def test_components_keep_description_tags_owner_and_system() -> None:
    checkout = item(shop_plan(), Target.ENABLER, "checkout-service")
    assert checkout.fields["description"] == "Turns a basket into a paid order"
    assert checkout.fields["tags"] == ["java", "payments"]
    assert checkout.links == {"owner_team": "payments-team"}
    assert checkout.uses == ["online-shop"]
    assert checkout.notes == []


def test_an_unknown_component_type_is_a_platform_with_a_note() -> None:
    text = COMPONENT.format(name="x", namespace="default", owner="g").replace(
        "type: service", "type: ml-model"
    )
    enabler = b.plan(b.read_files([("a.yaml", text)])).items[0]
    assert enabler.fields["kind"] == "platform"
    assert "type “ml-model”" in enabler.notes[0]


def test_an_unknown_lifecycle_makes_new_enablers_proposed_and_leaves_existing_ones() -> None:
    pager = item(shop_plan(), Target.ENABLER, "ops-pager-bridge")
    assert "lifecycle" not in pager.fields
    assert pager.on_create == {"lifecycle": "proposed"}
    assert any("lifecycle “beta”" in note for note in pager.notes)


def test_apis_users_locations_and_templates_are_skipped_with_the_reason() -> None:
    reasons = {(s.kind, s.name): s.reason for s in shop_plan().skipped}
    assert reasons[("API", "checkout-api")].startswith("APIs are interfaces of a component")
    assert reasons[("User", "jane.doe")] == "people join as members by invitation, not by import"
    assert reasons[("Location", "shop-extras")].startswith(
        "a Location points at other files (./extras/catalog-info.yaml, https://"
    )
    assert reasons[("Template", "new-service")].startswith("software templates")
    assert len(reasons) == 5


def test_an_unknown_kind_is_skipped_as_having_no_counterpart() -> None:
    text = "apiVersion: backstage.io/v1alpha1\nkind: Environment\nmetadata: {name: prod}\n"
    assert b.plan(b.read_files([("a.yaml", text)])).skipped[0].reason == (
        "Environment entities have no counterpart in the catalogue"
    )


# --- references between entities -----------------------------------------------------------


def test_references_default_to_the_namespace_of_the_entity_holding_them() -> None:
    plan = shop_plan()
    # ops/status-page's owner "sre" is group:ops/sre, which is in the files.
    status = item(plan, Target.ENABLER, "ops-status-page")
    assert status.links == {"owner_team": "ops-sre"}
    # Its system "online-shop" is system:ops/online-shop, which is nowhere: a warning.
    assert status.uses == []
    assert status.notes == [
        "spec.system points at system:ops/online-shop: it is not in the uploaded files, and "
        "no offering has the key “ops-online-shop”: no usage added"
    ]
    # An explicit namespace reaches across: default/fulfilment.
    assert item(plan, Target.ENABLER, "ops-pager-bridge").uses == ["fulfilment"]


def test_references_match_names_case_insensitively() -> None:
    # money_utils is owned by "Payments-Team".
    assert item(shop_plan(), Target.ENABLER, "money-utils").links == {"owner_team": "payments-team"}


def test_a_person_as_owner_leaves_no_owning_team_and_says_so() -> None:
    pager = item(shop_plan(), Target.ENABLER, "ops-pager-bridge")
    assert pager.links == {}
    assert "owned by the person user:jane.doe, and people are not teams: left empty" in pager.notes


def test_references_not_in_the_files_resolve_to_existing_keys() -> None:
    reading = b.read_files([("a.yaml", COMPONENT.format(name="x", namespace="ops", owner="sre"))])
    alone = b.plan(reading).items[0]
    with_team = b.plan(reading, existing={Target.TEAM: {"ops-sre"}}).items[0]

    assert alone.links == {}
    assert "no team has the key “ops-sre”: left empty" in alone.notes[0]
    assert with_team.links == {"owner_team": "ops-sre"}
    assert with_team.notes == []


def test_a_reference_to_a_skipped_kind_falls_back_to_existing_keys() -> None:
    mapping = b.mapping_with({"Group": "skip"})
    reading = b.read_files(fixture("org.yaml", "catalog-info.yaml"))
    skipped_groups = b.plan(reading, mapping=mapping)
    known_team = b.plan(reading, mapping=mapping, existing={Target.TEAM: {"payments-team"}})

    checkout = item(skipped_groups, Target.ENABLER, "checkout-service")
    assert checkout.links == {}
    assert "Groups are set to skip in this import" in checkout.notes[0]
    assert item(known_team, Target.ENABLER, "checkout-service").links == {
        "owner_team": "payments-team"
    }


def test_a_reference_to_the_wrong_kind_is_a_warning() -> None:
    text = COMPONENT.format(name="x", namespace="default", owner="component:y")
    enabler = b.plan(b.read_files([("a.yaml", text)])).items[0]
    assert enabler.notes == ["spec.owner points at component:y, not a group: left empty"]


def test_a_malformed_reference_is_a_warning() -> None:
    text = COMPONENT.format(name="x", namespace="default", owner="'group:'")
    enabler = b.plan(b.read_files([("a.yaml", text)])).items[0]
    assert enabler.links == {}
    assert "is not of the form [kind:][namespace/]name" in enabler.notes[0]


# --- choosing what a kind becomes -----------------------------------------------------------


def test_components_can_become_offerings_owned_by_their_team() -> None:
    plan = shop_plan(mapping=b.mapping_with({"component": "offering"}))
    storefront = item(plan, Target.OFFERING, "storefront")
    assert storefront.on_create == {"kind": "service"}
    assert storefront.links == {"team": "web-platform"}
    assert {i.key for i in plan.of(Target.ENABLER)} == {
        "orders-db",
        "receipts-bucket",
        "k8s-cluster",
    }


def test_a_kind_set_to_skip_is_skipped_and_its_references_found_elsewhere() -> None:
    plan = shop_plan(mapping=b.mapping_with({"System": "skip", "Domain": "skip"}))
    assert plan.of(Target.OFFERING) == plan.of(Target.AREA) == []
    assert sum(1 for s in plan.skipped if s.reason == "Systems are set to skip in this import") == 2
    assert item(plan, Target.ENABLER, "checkout-service").uses == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Group": "enabler"}, "Groups cannot become “enabler”: choose team, skip."),
        ({"API": "enabler"}, "“API” cannot be mapped"),
        ({"Resource": "offering"}, "choose enabler, skip"),
    ],
)
def test_a_kind_cannot_become_what_makes_no_sense(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(b.MappingError, match=re.escape(message)):
        b.mapping_with(overrides)


def test_map_options_read_kind_equals_target() -> None:
    mapping = b.parse_map_options(["component=offering", "Domain=business-area"])
    assert mapping["Component"] is Target.OFFERING
    assert mapping["Domain"] is Target.AREA
    with pytest.raises(b.MappingError, match="is not KIND=TARGET"):
        b.parse_map_options(["Component"])


def test_the_kinds_to_choose_for_are_those_in_the_files() -> None:
    plan = b.plan(b.read_files(fixture("org.yaml")))
    assert plan.choosable_kinds == ["Group"]


# --- clashes ---------------------------------------------------------------------------------


def test_two_entities_that_would_share_a_key_are_a_problem() -> None:
    text = "\n---\n".join(
        COMPONENT.format(name=name, namespace="default", owner="g") for name in ("a_b", "a.b")
    )
    plan = b.plan(b.read_files([("a.yaml", text)]))
    assert plan.problems == [
        "a.yaml, document 2 (line 12): component:a.b and component:a_b (a.yaml, document 1 "
        "(line 1)) would both become the enabler with the key “a-b”."
    ]


def test_a_component_and_a_resource_with_one_name_are_a_problem() -> None:
    text = COMPONENT.format(name="db", namespace="default", owner="g") + (
        "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: db}\n"
    )
    assert "would both become the enabler" in b.plan(b.read_files([("a.yaml", text)])).problems[0]


def test_the_same_entity_twice_is_a_problem() -> None:
    text = COMPONENT.format(name="x", namespace="default", owner="g")
    plan = b.plan(b.read_files([("a.yaml", text), ("b.yaml", text)]))
    assert plan.problems == [
        "b.yaml, document 1 (line 1): component:x is also defined in a.yaml, document 1 "
        "(line 1); Backstage names are unique per kind and namespace."
    ]


def test_two_items_with_one_name_in_any_case_are_a_problem() -> None:
    text = "\n---\n".join(
        COMPONENT.format(name=name, namespace="default", owner="g").replace(
            "metadata:\n", f"metadata:\n  title: {title}\n"
        )
        for name, title in (("a", "Search"), ("b", "SEARCH"))
    )
    problems = b.plan(b.read_files([("a.yaml", text)])).problems
    assert len(problems) == 1
    assert "would both be the enabler named “SEARCH”" in problems[0]


def test_an_overlong_name_is_a_problem() -> None:
    text = COMPONENT.format(name="x", namespace="default", owner="g").replace(
        "metadata:\n", f"metadata:\n  title: {'T' * 201}\n"
    )
    assert "longer than 200 characters" in b.plan(b.read_files([("a.yaml", text)])).problems[0]


def test_tags_are_lowercased_deduplicated_and_capped() -> None:
    tags = ", ".join([*(f"t{n}" for n in range(25)), "T1", "x" * 41])
    text = COMPONENT.format(name="x", namespace="default", owner="g").replace(
        "metadata:\n", f"metadata:\n  tags: [{tags}]\n"
    )
    enabler = b.plan(b.read_files([("a.yaml", text)])).items[0]
    assert enabler.fields["tags"] == [f"t{n}" for n in range(20)]
    assert any("longer than 40" in note for note in enabler.notes)
    assert any("first 20 kept" in note for note in enabler.notes)


def test_a_yaml_alias_bomb_is_never_expanded() -> None:
    # Nine levels of nine aliases: printing any of these values would never finish.
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 9):
        levels.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    bomb = "x-bomb:\n" + "\n".join(f"  {level}" for level in levels) + "\n"
    component = COMPONENT.format(name="x", namespace="default", owner="*l8").replace(
        "apiVersion", bomb + "apiVersion", 1
    )
    location = (
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: where}\n"
        "spec: {targets: *l8, type: url}\n"
    )
    reading = b.read_files([("bomb.yaml", component + "---\n" + bomb + location)])
    plan = b.plan(reading)

    assert plan.items[0].notes == ["spec.owner: a list is not an entity reference: left empty"]
    assert plan.skipped[0].reason == "a Location points at other files: import those files"


# --- shapes found in Backstage's own example catalogue ----------------------------------------


def test_a_file_of_locations_only_is_read_and_each_location_skipped_with_its_targets() -> None:
    plan = b.plan(b.read_files(fixture("locations.yaml")))

    assert plan.items == [] and plan.problems == []
    assert [(s.kind, s.name) for s in plan.skipped] == [
        ("Location", "shop-everything"),
        ("Location", "shop-remote"),
    ]
    assert "(./org.yaml, ./catalog-info.yaml, ./ops.yaml)" in plan.skipped[0].reason
    assert "git.example.org/shop/catalog" in plan.skipped[1].reason  # spec.target, singular


def test_an_api_definition_file_is_refused_as_what_it_is() -> None:
    assert problems_of(*fixture("org.yaml", "orders.oas.yaml")) == [
        "orders.oas.yaml, document 1 (line 3): an OpenAPI definition, not a Backstage entity "
        "(no apiVersion and kind): leave it out; import the API or component descriptors "
        "that refer to it."
    ]


def test_a_mapping_with_nothing_of_an_entity_says_so() -> None:
    problems = problems_of(("notes.yaml", "title: Release notes\nitems: [a, b]\n"))
    assert problems == [
        "notes.yaml, document 1 (line 1): not a Backstage entity: no apiVersion, kind or "
        "metadata. Leave out files that are not catalog descriptors."
    ]


def test_an_owner_in_the_default_namespace_is_found_from_another_namespace() -> None:
    plan = b.plan(b.read_files(fixture("org.yaml", "labs.yaml")))

    lab = item(plan, Target.ENABLER, "labs-price-lab")
    assert lab.links == {"owner_team": "payments-team"}  # owner: default/payments-team
    assert lab.notes == []


def test_a_bare_owner_naming_a_user_is_looked_up_as_a_group_and_noted() -> None:
    plan = b.plan(b.read_files(fixture("org.yaml", "catalog-info.yaml", "labs.yaml")))

    sync = item(plan, Target.ENABLER, "basket-sync")
    assert sync.links == {}
    assert sync.notes == [
        "spec.owner points at group:jane.doe: it is not in the uploaded files, and no team "
        "has the key “jane-doe”: left empty"
    ]
    assert sync.uses == ["online-shop"]  # the rest of the entity still imports


def test_a_kind_with_no_counterpart_is_skipped_with_its_reason() -> None:
    plan = b.plan(b.read_files(fixture("org.yaml", "labs.yaml")))

    assert [s.reason for s in plan.skipped if s.kind == "Environment"] == [
        "Environment entities have no counterpart in the catalogue"
    ]


def test_yaml_nested_too_deeply_is_a_problem_not_a_crash() -> None:
    flow = problems_of(("deep.yaml", "[" * 900_000))
    block = problems_of(("block.yaml", "".join(" " * i + "- \n" for i in range(1200))))

    assert flow == ["deep.yaml: nested too deeply to be a descriptor."]
    assert block == ["block.yaml, document 1: nested too deeply to be a descriptor."]


def test_a_control_character_in_any_value_is_a_problem_naming_where() -> None:
    text = COMPONENT.format(name="payments", namespace="default", owner="shop").replace(
        "  namespace:", '  title: "Pay\\0ments"\n  namespace:', 1
    )

    problems = problems_of(("catalog-info.yaml", text))

    assert len(problems) == 1
    assert "metadata.title holds a control character" in problems[0]
