"""The whole installation through pg_dump and pg_restore, in the PostgreSQL pass only.

The test database (committed data: a transactional test) is dumped with ``pg_dump -Fc``,
restored into a new, empty database, and every table, sequence and spot check compared
(tests/backup/inventory.py). ``.ci/backup_restore.sh`` does the same on a fresh database
from the command line, with a generated organisation too; this keeps the check in the
suite. On SQLite, or without the PostgreSQL tools, it is skipped.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from assessments.services import report_compute_now
from catalogue.models import Organisation
from tests.backup import inventory

TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_dump/pg_restore: runs when DATABASE_URL points at PostgreSQL",
    ),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in TOOLS),
        reason="needs the PostgreSQL client tools (pg_dump, pg_restore, createdb, dropdb)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _connection_options() -> list[str]:
    settings = connection.settings_dict
    options = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if settings.get(key):
            options += [flag, str(settings[key])]
    return options


def _dsn(name: str) -> str:
    settings = connection.settings_dict
    parts = {
        "dbname": name,
        "host": settings.get("HOST") or "",
        "port": str(settings.get("PORT") or ""),
        "user": settings.get("USER") or "",
        "password": settings.get("PASSWORD") or "",
    }
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)


def _run(*command: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, env=env)


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(connection.settings_dict["PASSWORD"])
    return env


@pytest.fixture
def restored_name() -> Iterator[str]:
    """A database name for the restored copy, dropped afterwards whatever happened."""
    name = f"{connection.settings_dict['NAME']}_restored"
    _run("dropdb", *_connection_options(), "--if-exists", name, env=_env())
    yield name
    _run("dropdb", *_connection_options(), "--if-exists", name, env=_env())


def test_a_dump_restores_into_an_empty_database_with_every_row(
    restored_name: str, eager_tasks: Any, tmp_path: Path
):
    call_command("seed_demo", stdout=io.StringIO())
    for org in Organisation.objects.order_by("slug"):
        report_compute_now(organisation=org, reason="before the backup")
    source_name = str(connection.settings_dict["NAME"])
    source = inventory.take(_dsn(source_name))
    assert source["tables"]["catalogue_enabler"]["rows"] > 90
    assert source["tables"]["assessments_balancereport"]["rows"] >= 3

    dump = tmp_path / "backup.dump"
    _run("pg_dump", *_connection_options(), "-Fc", "-f", str(dump), source_name, env=_env())
    _run("createdb", *_connection_options(), restored_name, env=_env())
    _run(
        "pg_restore",
        *_connection_options(),
        "--no-owner",
        "--exit-on-error",
        "-d",
        restored_name,
        str(dump),
        env=_env(),
    )
    restored = inventory.take(_dsn(restored_name))

    assert inventory.differences(source, restored) == []
    assert (
        restored["spot_checks"]["decisions by status"]
        == source["spot_checks"]["decisions by status"]
    )
    assert len(restored["tables"]) == len(source["tables"]) > 30
