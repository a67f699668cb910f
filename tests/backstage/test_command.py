"""python manage.py import_backstage SLUG FILE [FILE ...] [--dry-run] [--map KIND=TARGET]"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalogue import models as m
from tests.conftest import Cast

from .test_import import SHOP, snapshot

FILES = Path(__file__).parent / "files"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_backstage", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def paths(*names: str) -> list[str]:
    return [str(FILES / name) for name in names]


def test_the_command_imports_and_prints_one_line_per_item(cast: Cast) -> None:
    out, _ = run("acme", *paths(*SHOP))

    lines = out.splitlines()
    assert lines[0] == (
        "Imported (acme): 16 created, 0 updated, 0 unchanged, 5 usages added, 5 skipped."
    )
    assert "  + team payments-team “Payments Team”: Kind Delivery" in lines
    assert any(line.startswith("  - API checkout-api") for line in lines)
    assert any(line.startswith("  ! component:ops/pager_bridge") for line in lines)
    enabler = m.Enabler.objects.for_org(cast.world.org).get(key="orders-db")
    assert enabler.history.get().history_user is None  # no actor
    assert m.ChangeRecord.objects.for_org(cast.world.org).first().actor is None


def test_the_command_prints_what_happens_to_each_kind(cast: Cast) -> None:
    out, _ = run("acme", *paths(*SHOP), "--dry-run")

    assert out.splitlines()[1:6] == [
        "  Business areas: 2 created, 0 updated, 0 unchanged",
        "  Teams: 4 created, 0 updated, 0 unchanged",
        "  Offerings: 2 created, 0 updated, 0 unchanged",
        "  Enablers: 8 created, 0 updated, 0 unchanged, 5 usages added",
        "  Skipped: 2 User, 1 API, 1 Location, 1 Template",
    ]


def test_a_file_named_twice_is_read_once(cast: Cast) -> None:
    # Overlapping shell patterns name a file twice; its entities must not clash with
    # themselves.
    again = str(FILES / ".." / "files" / "org.yaml")

    out, _ = run("acme", *paths(*SHOP), again)

    assert out.startswith("Imported (acme): 16 created,")


def test_a_dry_run_prints_the_preview_and_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    out, _ = run("acme", *paths(*SHOP), "--dry-run")

    assert out.startswith("Dry run, nothing written (acme): 16 created,")
    assert snapshot(cast) == before


def test_running_twice_has_nothing_to_import(cast: Cast) -> None:
    run("acme", *paths(*SHOP))
    before = snapshot(cast)

    out, _ = run("acme", *paths(*SHOP))

    assert out.startswith("Nothing to import (acme): 0 created, 0 updated, 16 unchanged")
    assert snapshot(cast) == before


def test_map_changes_what_a_kind_becomes(cast: Cast) -> None:
    run("acme", *paths(*SHOP), "--map", "Component=offering", "--map", "resource=skip")

    offerings = set(m.Offering.objects.for_org(cast.world.org).values_list("key", flat=True))
    assert {"storefront", "checkout-service", "online-shop"} <= offerings
    assert not m.Enabler.objects.for_org(cast.world.org).filter(key="orders-db").exists()


def test_a_bad_file_is_an_error_naming_it_and_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    with pytest.raises(CommandError, match="2 problems; nothing was imported"):
        run("acme", *paths("org.yaml", "broken.yaml", "missing-name.yaml"))

    assert snapshot(cast) == before


def test_the_problems_are_printed_with_file_and_line(cast: Cast) -> None:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_backstage", "acme", *paths("broken.yaml"), stderr=err)
    assert "broken.yaml, document 2, line 16, column 14: not valid YAML" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "x.yaml"], "No organisation with the slug “nowhere”."),
        (["acme", "/no/such/file.yaml"], "Cannot read /no/such/file.yaml"),
        (["acme", "x.yaml", "--map", "Group=enabler"], "Groups cannot become “enabler”"),
    ],
)
def test_wrong_arguments_are_errors(cast: Cast, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_name_clash_is_an_error_even_in_a_dry_run(cast: Cast, tmp_path: Path) -> None:
    clash = tmp_path / "teams.yaml"
    clash.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: crew\n"
        "  title: Delivery\nspec:\n  type: team\n  children: []\n"
    )
    with pytest.raises(CommandError, match="1 problem; nothing was imported"):
        run("acme", str(clash), "--dry-run")
