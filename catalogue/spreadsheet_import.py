"""Enablers and usages from a spreadsheet into the catalogue, and the reads behind the exports.

``import_preview`` says what a file would change (rows to create, fields to update, rows
unchanged, and errors by row and column) without writing; ``import_apply`` checks the same
file again and writes exactly that preview in one transaction, or nothing. Both load the
organisation's teams, enablers, offerings and usages once, so the number of queries does not
grow with the number of rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import spreadsheets as sheets
from .models import (
    KEY_MAX_LENGTH,
    Classification,
    Criticality,
    Enabler,
    EnablerKind,
    EnablerUsage,
    Lifecycle,
    Offering,
    Organisation,
    Team,
)
from .services import RESERVED_KEYS, Actor, inputs_changed, lock_organisation, record_change
from .spreadsheets import ENABLERS, CellError, Sheet

CHANGE_REASON = "Spreadsheet import"  # shown in each enabler's history

ENABLER_HEADER = [column.header for column in sheets.ENABLER_COLUMNS]
USAGE_HEADER = [column.header for column in sheets.USAGE_COLUMNS]

# Choice columns: an empty cell leaves the stored value as it is (a new enabler gets the
# default), so a file with some cells left empty never blanks a required field.
CHOICES: dict[str, tuple[list[tuple[str, str]], str]] = {
    "kind": (EnablerKind.choices, "kind of enabler"),
    "classification": (Classification.choices, "classification"),
    "lifecycle": (Lifecycle.choices, "lifecycle"),
}
# Fields an import may set, in the order the preview lists them.
ENABLER_FIELDS = (
    "name",
    "kind",
    "capability",
    "classification",
    "lifecycle",
    "owner_team_id",
    "tags",
    "description",
)


# --- exports -------------------------------------------------------------------------------


def enabler_export_rows(enablers: Iterable[Enabler]) -> Iterator[list[str]]:
    """One row per enabler, with stored choice values and the owning team's key, so the
    file imports back unchanged. The enablers come with their owning team loaded."""
    for enabler in enablers:
        yield [
            enabler.key,
            enabler.name,
            enabler.kind,
            enabler.capability,
            enabler.classification,
            enabler.lifecycle,
            enabler.owner_team.key if enabler.owner_team else "",
            "; ".join(str(tag) for tag in enabler.tags or []),
            enabler.description,
        ]


def usages_for_export(
    *, organisation: Organisation, enablers: QuerySet[Enabler]
) -> QuerySet[EnablerUsage]:
    """The usages of the given enablers (the enabler list's filters), in one query."""
    return (
        EnablerUsage.objects.for_org(organisation)
        .filter(enabler__in=enablers.order_by().values("pk"))
        .select_related("enabler", "offering")
        .order_by("enabler__name", "offering__name")
    )


def usage_export_rows(usages: Iterable[EnablerUsage]) -> Iterator[list[str]]:
    for usage in usages:
        yield [
            usage.enabler.key,
            usage.enabler.name,
            usage.offering.key,
            usage.offering.name,
            usage.criticality,
        ]


# --- the preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it; the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class Planned:
    """One row of the file and what it does: for usages, ``key`` and ``name`` are the
    enabler's and ``offering_*`` the offering's."""

    row: int
    key: str
    name: str
    changes: list[Change] = field(default_factory=list)
    offering_key: str = ""
    offering_name: str = ""


@dataclass
class Preview:
    kind: str
    creates: list[Planned] = field(default_factory=list)
    updates: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # What import_apply writes: the values of each new row, and each changed row's object
    # with its new values.
    new_values: list[dict[str, Any]] = field(default_factory=list, repr=False)
    changed: list[tuple[Any, dict[str, Any]]] = field(default_factory=list, repr=False)

    @property
    def for_usages(self) -> bool:
        return self.kind == sheets.USAGES

    @property
    def change_count(self) -> int:
        return len(self.creates) + len(self.updates)

    @property
    def fingerprint(self) -> str:
        """A digest of the planned changes: confirming writes only what was previewed."""

        def plain(rows: list[Planned]) -> list[Any]:
            return [
                [p.row, p.key, p.offering_key, [[c.field, c.old, c.new] for c in p.changes]]
                for p in rows
            ]

        text = json.dumps([self.kind, plain(self.creates), plain(self.updates)])
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> str:
        """What the import does, in words ("2 enablers added, 3 changed"), for the message
        and the organisation's recent changes."""
        noun = "enabler" if self.kind == ENABLERS else "usage"
        added, changed = len(self.creates), len(self.updates)
        parts = []
        if added:
            parts.append(f"{added} {noun}{'s' if added != 1 else ''} added")
        if changed:
            parts.append(
                f"{changed} changed"
                if added
                else f"{changed} {noun}{'s' if changed != 1 else ''} changed"
            )
        return ", ".join(parts) or "nothing changed"


def import_preview(*, organisation: Organisation, sheet: Sheet, lock: bool = False) -> Preview:
    """What importing ``sheet`` into the organisation would change; writes nothing.

    ``lock`` (inside import_apply's transaction) locks the rows it reads for update.
    """
    if sheet.kind == ENABLERS:
        preview = _EnablerPreview(organisation, sheet, lock).run()
    else:
        preview = _UsagePreview(organisation, sheet, lock).run()
    preview.errors.sort(key=lambda e: e.row)
    return preview


def _field_label(name: str) -> str:
    found = Enabler._meta.get_field(name.removesuffix("_id"))
    return str(getattr(found, "verbose_name", name))


def _show(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


class _EnablerPreview:
    """Read each row against the organisation's teams and enablers (loaded once)."""

    def __init__(self, organisation: Organisation, sheet: Sheet, lock: bool) -> None:
        self.organisation = organisation
        self.sheet = sheet
        self.teams = {
            t.key: t
            for t in Team.objects.for_org(organisation).only("id", "organisation_id", "key")
        }
        self.team_keys = {t.pk: t.key for t in self.teams.values()}
        # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
        enablers = Enabler.objects.for_org(organisation)
        if lock:
            enablers = enablers.select_for_update()
        self.existing = {e.key: e for e in enablers}
        self.preview = Preview(ENABLERS)
        self.keys_in_file: dict[str, int] = {}

    def run(self) -> Preview:
        read: list[tuple[int, dict[str, Any], Enabler | None]] = []
        for number, cells in self.sheet.rows:
            parsed, problems = self._read(self.sheet.values(cells))
            key = parsed.get("key", "")
            if key and key in self.keys_in_file:
                problems.setdefault(
                    "key", f"The key “{key}” is also on row {self.keys_in_file[key]}."
                )
            elif key:
                self.keys_in_file[key] = number
            enabler = self.existing.get(key) if key else None
            if enabler is None and not problems.keys() & {"key", "kind"} and not parsed.get("kind"):
                kinds = ", ".join(str(label) for _, label in EnablerKind.choices)
                problems["kind"] = f"A new enabler needs a kind: one of {kinds}."
            if problems:
                self._errors(number, problems)
                continue
            read.append((number, parsed, enabler))
        for number, parsed, enabler in self._with_unique_names(read):
            if enabler is None:
                self._plan_create(number, parsed)
            else:
                self._plan_update(number, parsed, enabler)
        self._make_keys()
        return self.preview

    def _errors(self, number: int, problems: dict[str, str]) -> None:
        order = [c.field for c in sheets.ENABLER_COLUMNS]
        for name in sorted(problems, key=lambda f: order.index(f) if f in order else 99):
            self.preview.errors.append(RowError(number, self.sheet.label(name), problems[name]))

    def _read(self, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The row's values as the model stores them, and a message per bad cell."""
        parsed: dict[str, Any] = {}
        problems: dict[str, str] = {}

        def take(name: str, reader: Callable[[str], Any], store_as: str = "") -> None:
            if name not in values:
                return  # the file has no such column: the field is left as it is
            try:
                parsed[store_as or name] = reader(values[name])
            except CellError as error:
                problems[name] = str(error)

        take("key", self._key)
        take("name", _name)
        for name, (choices, what) in CHOICES.items():
            take(name, _choice_reader(choices, what))
        take("capability", lambda text: sheets.check_length(text, 100))
        take("owner_team", self._team, store_as="owner_team_id")
        take("tags", sheets.parse_tags)
        take("description", lambda text: sheets.check_length(text, 5000))
        return parsed, problems

    def _key(self, text: str) -> str:
        key = text.lower()  # keys are lowercase; "Payments" means the enabler payments
        if not key:
            return ""
        sheets.check_key(key)
        if key in RESERVED_KEYS:
            raise CellError(f"“{key}” is the name of a page, not a key. Choose another key.")
        return key

    def _team(self, text: str) -> int | None:
        if not text:
            return None
        team = self.teams.get(text.lower())
        if team is None:
            raise CellError(f"There is no team with the key “{text}” in this organisation.")
        return team.pk

    def _with_unique_names(
        self, read: list[tuple[int, dict[str, Any], Enabler | None]]
    ) -> Iterator[tuple[int, dict[str, Any], Enabler | None]]:
        """Rows whose name no other enabler has (names are unique, ignoring case).

        A name still held by another enabler is refused even when the file renames that
        one too: saving one after the other would clash on the way.
        """
        holders = {e.name.casefold(): e for e in self.existing.values()}
        claimed: dict[str, int] = {}
        for number, parsed, enabler in read:
            name = parsed["name"]
            folded = name.casefold()
            holder = holders.get(folded)
            if holder is not None and holder is not enabler:
                self._errors(
                    number,
                    {
                        "name": f"Another enabler, key “{holder.key}”, is already called “{holder.name}”."
                    },
                )
            elif folded in claimed:
                self._errors(
                    number, {"name": f"The name “{name}” is also on row {claimed[folded]}."}
                )
            else:
                claimed[folded] = number
                yield number, parsed, enabler

    def _plan_create(self, number: int, parsed: dict[str, Any]) -> None:
        values = {
            "key": parsed.get("key", ""),
            "name": parsed["name"],
            "kind": parsed["kind"],
            "capability": parsed.get("capability", ""),
            "classification": parsed.get("classification") or Classification.INDEPENDENT,
            "lifecycle": parsed.get("lifecycle") or Lifecycle.ACTIVE,
            "owner_team_id": parsed.get("owner_team_id"),
            "tags": parsed.get("tags", []),
            "description": parsed.get("description", ""),
        }
        changes = [
            Change(_field_label(name), "", self._display(name, values[name]))
            for name in ENABLER_FIELDS
            if name != "name" and values[name] not in ("", None, [])
        ]
        self.preview.new_values.append(values)
        self.preview.creates.append(Planned(number, values["key"], values["name"], changes))

    def _plan_update(self, number: int, parsed: dict[str, Any], enabler: Enabler) -> None:
        """Only the fields that differ; an empty choice cell leaves the field as it is."""
        new: dict[str, Any] = {}
        changes: list[Change] = []
        for name in ENABLER_FIELDS:
            if name not in parsed or (name in CHOICES and parsed[name] is None):
                continue
            old, value = getattr(enabler, name), parsed[name]
            if name == "tags":
                same = [str(t).casefold() for t in old or []] == value
            elif isinstance(value, str):
                same = sheets.same_text(old or "", value)
            else:
                same = old == value
            if not same:
                new[name] = value
                changes.append(
                    Change(_field_label(name), self._display(name, old), self._display(name, value))
                )
        planned = Planned(number, enabler.key, enabler.name, changes)
        if changes:
            self.preview.changed.append((enabler, new))
            self.preview.updates.append(planned)
        else:
            self.preview.unchanged.append(planned)

    def _display(self, name: str, value: Any) -> str:
        if name in CHOICES and value:
            return str(dict(CHOICES[name][0]).get(value, value))
        if name == "owner_team_id":
            return self.team_keys.get(value, "—") if value else "—"
        return _show(value)

    def _make_keys(self) -> None:
        """Keys for new rows that left the key empty, made from the name as
        services.unique_key makes them, without a query per row: two new rows with the
        same name start from the same base and get different keys."""
        taken = set(self.existing) | set(self.keys_in_file) | RESERVED_KEYS
        for values, planned in zip(self.preview.new_values, self.preview.creates, strict=True):
            if not values["key"]:
                values["key"] = planned.key = _key_from_name(values["name"], taken)
            taken.add(values["key"])


def _name(text: str) -> str:
    if not text:
        raise CellError("Give the enabler a name.")
    return sheets.check_length(text, 200)


def _choice_reader(choices: list[tuple[str, str]], what: str) -> Callable[[str], str | None]:
    """Reads a choice cell; an empty one is None, which leaves the stored value as it is."""
    return lambda text: sheets.choice_value(text, choices, what) if text else None


def _key_from_name(name: str, taken: set[str]) -> str:
    # The same slug as services.unique_key, which asks the database once per key.
    base = re.sub(r"[-_]+", "-", slugify(name))[: KEY_MAX_LENGTH - 4].strip("-") or "enabler"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


class _UsagePreview:
    """Read each row against the organisation's enablers, offerings and usages (loaded once)."""

    def __init__(self, organisation: Organisation, sheet: Sheet, lock: bool) -> None:
        self.sheet = sheet
        self.enablers = {
            e.key: e
            for e in Enabler.objects.for_org(organisation).only(
                "id", "organisation_id", "key", "name"
            )
        }
        self.offerings = {
            o.key: o
            for o in Offering.objects.for_org(organisation).only(
                "id", "organisation_id", "key", "name"
            )
        }
        usages = EnablerUsage.objects.for_org(organisation)
        if lock:
            usages = usages.select_for_update()
        self.usages = {(u.enabler_id, u.offering_id): u for u in usages}
        self.preview = Preview(sheets.USAGES)

    def run(self) -> Preview:
        seen: dict[tuple[int, int], int] = {}
        for number, cells in self.sheet.rows:
            values = self.sheet.values(cells)
            problems: dict[str, str] = {}
            enabler = self._find(values, "enabler", self.enablers, problems)
            offering = self._find(values, "offering", self.offerings, problems)
            criticality = None
            if values.get("criticality"):
                try:
                    criticality = sheets.choice_value(
                        values["criticality"], Criticality.choices, "criticality"
                    )
                except CellError as error:
                    problems["criticality"] = str(error)
            if enabler is not None and offering is not None:
                pair = (enabler.pk, offering.pk)
                if pair in seen:
                    problems["offering"] = (
                        f"Row {seen[pair]} already says that “{offering.key}” uses “{enabler.key}”."
                    )
                else:
                    seen[pair] = number
            if problems or enabler is None or offering is None:
                for name in ("enabler", "offering", "criticality"):
                    if name in problems:
                        self.preview.errors.append(
                            RowError(number, self.sheet.label(name), problems[name])
                        )
                continue
            self._plan(number, enabler, offering, criticality)
        return self.preview

    def _find(
        self, values: dict[str, str], name: str, known: dict[str, Any], problems: dict[str, str]
    ) -> Any:
        text = values.get(name, "")
        if not text:
            problems[name] = f"Give the {name}’s key."
            return None
        found = known.get(text.lower())
        if found is None:
            problems[name] = f"There is no {name} with the key “{text}” in this organisation."
        return found

    def _plan(
        self, number: int, enabler: Enabler, offering: Offering, criticality: str | None
    ) -> None:
        usage = self.usages.get((enabler.pk, offering.pk))
        planned = Planned(
            number,
            enabler.key,
            enabler.name,
            offering_key=offering.key,
            offering_name=offering.name,
        )
        labels = dict(Criticality.choices)
        if usage is None:
            value = criticality or Criticality.MEDIUM
            planned.changes.append(Change("criticality", "", str(labels[value])))
            self.preview.new_values.append(
                {"enabler_id": enabler.pk, "offering_id": offering.pk, "criticality": value}
            )
            self.preview.creates.append(planned)
        elif criticality and criticality != usage.criticality:
            planned.changes.append(
                Change("criticality", str(labels[usage.criticality]), str(labels[criticality]))
            )
            self.preview.changed.append((usage, {"criticality": criticality}))
            self.preview.updates.append(planned)
        else:
            self.preview.unchanged.append(planned)


# --- writing the preview -------------------------------------------------------------------


class ImportRefused(Exception):
    """The file has errors: nothing was written. ``preview`` lists them."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("The file has errors")
        self.preview = preview


class PreviewChanged(Exception):
    """The catalogue changed since the preview, so the file would now do something else:
    nothing was written. ``preview`` is the new preview."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("The preview no longer holds")
        self.preview = preview


def import_apply(
    *, organisation: Organisation, sheet: Sheet, fingerprint: str, actor: Actor
) -> Preview:
    """Write exactly the previewed changes of ``sheet`` in one transaction, with one line in
    the organisation's recent changes and one move of the balance inputs.

    The file is checked again against the catalogue as it is now (rows locked): errors raise
    ImportRefused, a plan that differs from the one previewed (``fingerprint``) raises
    PreviewChanged, and either way nothing is written.
    """
    try:
        with transaction.atomic():
            lock_organisation(organisation)
            preview = import_preview(organisation=organisation, sheet=sheet, lock=True)
            if preview.errors:
                raise ImportRefused(preview)
            if preview.fingerprint != fingerprint:
                raise PreviewChanged(preview)
            if not preview.change_count:
                return preview
            if preview.kind == ENABLERS:
                _write_enablers(organisation, preview, actor)
            else:
                _write_usages(organisation, preview)
            record_change(
                organisation=organisation,
                actor=actor,
                summary=f"Spreadsheet import: {preview.describe()}",
                url=reverse("catalogue:enabler_list", args=[organisation.slug]),
            )
            inputs_changed(organisation=organisation, reason=f"{preview.kind} imported")
    except IntegrityError as error:
        # Someone saved the same key, name or usage between the check and the write.
        raise PreviewChanged(import_preview(organisation=organisation, sheet=sheet)) from error
    return preview


def _write_enablers(organisation: Organisation, preview: Preview, actor: Actor) -> None:
    """Bulk writes with a history record per enabler naming who imported it."""
    user = actor if actor.is_authenticated else None
    if preview.new_values:
        bulk_create_with_history(
            [
                Enabler(
                    organisation=organisation,
                    version=1,
                    created_by_id=user.pk if user is not None else None,
                    **values,
                )
                for values in preview.new_values
            ],
            Enabler,
            default_user=user,
            default_change_reason=CHANGE_REASON,
        )
    if preview.changed:
        now = timezone.now()
        fields = {"version", "updated_at"}
        for enabler, values in preview.changed:
            for name, value in values.items():
                setattr(enabler, name, value)
            enabler.version += 1
            enabler.updated_at = now
            fields |= {name.removesuffix("_id") for name in values}
        bulk_update_with_history(
            [enabler for enabler, _ in preview.changed],
            Enabler,
            fields=sorted(fields),
            default_user=user,
            default_change_reason=CHANGE_REASON,
            # Scoped to the organisation, as every write of an organisation's rows is.
            manager=Enabler.objects.for_org(organisation),
        )


def _write_usages(organisation: Organisation, preview: Preview) -> None:
    """Usages keep no history: plain bulk writes."""
    EnablerUsage.objects.bulk_create(
        EnablerUsage(organisation=organisation, **values) for values in preview.new_values
    )
    changed = []
    for usage, values in preview.changed:
        usage.criticality = values["criticality"]
        changed.append(usage)
    if changed:
        EnablerUsage.objects.for_org(organisation).bulk_update(changed, ["criticality"])
