"""The Backstage import against the database: what the files would change in an
organisation (the preview), and the import itself, in one transaction.

Items are matched by key. The preview and the import run the same plan against the same
loaded state, so the import writes exactly what the preview showed; a digest of the
preview lets the page refuse an import when the catalogue changed in between. Loading and
writing take a fixed number of queries whatever the size of the files (bulk writes; the
enablers' history is written in bulk too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import backstage
from .backstage import TARGET_ORDER, BackstageError, Plan, PlannedItem, Target
from .models import BusinessArea, Enabler, EnablerUsage, Keyed, Offering, Organisation, Team
from .services import RESERVED_KEYS, inputs_changed, lock_organisation, record_change

Actor = AbstractBaseUser | AnonymousUser
Files = Iterable[tuple[str, str]]

MODELS: dict[Target, type[Keyed]] = {
    Target.AREA: BusinessArea,
    Target.TEAM: Team,
    Target.OFFERING: Offering,
    Target.ENABLER: Enabler,
}
TITLES = {
    Target.AREA: "Business areas",
    Target.TEAM: "Teams",
    Target.OFFERING: "Offerings",
    Target.ENABLER: "Enablers",
}
CHANGE_REASON = "Backstage import"
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


class PreviewChanged(Exception):
    """The import would not write what the person saw: the catalogue (or the chosen
    mapping) changed since the preview. ``preview`` is the new one."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("The preview changed")
        self.preview = preview


@dataclass
class Current:
    """The organisation's areas, teams, offerings, enablers and usages, loaded once."""

    items: dict[Target, dict[str, Keyed]]
    usages: set[tuple[int, int]]  # (enabler id, offering id)

    @classmethod
    def load(cls, organisation: Organisation, *, lock: bool = False) -> Current:
        """Everything once; with ``lock`` (when importing) the rows are locked until the
        transaction ends, so an edit saved meanwhile waits instead of being overwritten."""

        def rows(model: Any) -> Any:
            found = model.objects.for_org(organisation)
            return found.select_for_update() if lock else found

        items: dict[Target, dict[str, Keyed]] = {
            target: {obj.key: obj for obj in rows(model)} for target, model in MODELS.items()
        }
        usages = set(
            EnablerUsage.objects.for_org(organisation).values_list("enabler_id", "offering_id")
        )
        return cls(items, usages)

    def keys(self) -> dict[Target, set[str]]:
        return {target: set(objs) for target, objs in self.items.items()}

    def key_by_id(self, target: Target) -> dict[int, str]:
        return {obj.pk: key for key, obj in self.items[target].items()}


@dataclass(frozen=True)
class FieldChange:
    """One field of a row: before and after as shown to people."""

    label: str
    before: str
    after: str


@dataclass
class Row:
    """One planned item against the organisation: created, updated or unchanged."""

    item: PlannedItem
    status: str
    changes: list[FieldChange]  # an update: what changes; a new item: what it is set to
    new_uses: list[str] = field(default_factory=list)  # offerings (keys) that start using it
    uses_shown: list[str] = field(default_factory=list)  # their names
    # The stored values the import compares, in full (the preview cuts long text): part of
    # the digest, so an edit made after the preview is noticed whatever its length.
    stored: str = ""

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def target(self) -> Target:
        return self.item.target

    @property
    def source(self) -> str:
        return f"{self.item.entity.label} ({self.item.entity.place})"

    @property
    def notes(self) -> list[str]:
        return self.item.notes


@dataclass(frozen=True)
class Section:
    target: Target
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Counts:
    created: int
    updated: int
    unchanged: int
    usages: int
    skipped: int
    warnings: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.usages)


@dataclass
class Preview:
    """What importing the files would do to the organisation, before anything is written."""

    plan: Plan
    rows: list[Row]
    problems: list[str]

    @property
    def mapping(self) -> dict[str, Target]:
        return self.plan.mapping

    @property
    def skipped(self) -> list[backstage.Skipped]:
        return self.plan.skipped

    def rows_for(self, target: Target | str) -> list[Row]:
        return [row for row in self.rows if row.target == target]

    @property
    def sections(self) -> list[Section]:
        return [Section(t, TITLES[t], self.rows_for(t)) for t in TARGET_ORDER]

    @property
    def warnings(self) -> list[str]:
        return [f"{row.source}: {note}" for row in self.rows for note in row.notes]

    @property
    def counts(self) -> Counts:
        statuses = [row.status for row in self.rows]
        return Counts(
            created=statuses.count(CREATE),
            updated=statuses.count(UPDATE),
            unchanged=statuses.count(UNCHANGED),
            usages=sum(len(row.new_uses) for row in self.rows),
            skipped=len(self.skipped),
            warnings=len(self.warnings),
        )

    @property
    def can_import(self) -> bool:
        return not self.problems and self.counts.changed

    def describe(self) -> str:
        c = self.counts
        usages = f"{c.usages} usage{'s' if c.usages != 1 else ''} added"
        return (
            f"{c.created} created, {c.updated} updated, {c.unchanged} unchanged, {usages}, "
            f"{c.skipped} skipped"
        )

    def tallies(self) -> list[str]:
        """What happens to each kind of item, and what was skipped by Backstage kind: one
        line each, for the command's summary."""
        lines = []
        for section in self.sections:
            if not section.rows:
                continue
            statuses = [row.status for row in section.rows]
            line = (
                f"{section.title}: {statuses.count(CREATE)} created, "
                f"{statuses.count(UPDATE)} updated, {statuses.count(UNCHANGED)} unchanged"
            )
            usages = sum(len(row.new_uses) for row in section.rows)
            if usages:
                line += f", {usages} usage{'s' if usages != 1 else ''} added"
            lines.append(line)
        skipped: dict[str, int] = {}
        for entity in self.skipped:
            skipped[entity.kind] = skipped.get(entity.kind, 0) + 1
        if skipped:
            kinds = sorted(skipped.items(), key=lambda pair: (-pair[1], pair[0]))
            lines.append("Skipped: " + ", ".join(f"{count} {kind}" for kind, count in kinds))
        return lines

    def lines(self) -> list[str]:
        """One line per item (what others point at first), skipped entity, warning and
        problem (the command prints them; the digest is made from them)."""
        marks = {CREATE: "+", UPDATE: "~", UNCHANGED: "="}
        lines = []
        for row in (row for section in self.sections for row in section.rows):
            details = [
                f"{c.label} “{c.before}” → “{c.after}”"
                if row.status == UPDATE
                else f"{c.label} {c.after}"
                for c in row.changes
            ]
            if row.uses_shown:
                details.append("now used by " + ", ".join(row.uses_shown))
            text = f"{marks[row.status]} {row.target.label} {row.key} “{row.name}”"
            lines.append(f"{text}: {'; '.join(details)}" if details else text)
        for skipped in self.skipped:
            lines.append(f"- {skipped.kind} {skipped.name} ({skipped.place}): {skipped.reason}")
        lines += [f"! {warning}" for warning in self.warnings]
        lines += [f"✗ {problem}" for problem in self.problems]
        return lines

    def digest(self) -> str:
        mapping = ",".join(f"{kind}={target}" for kind, target in sorted(self.mapping.items()))
        stored = [row.stored for section in self.sections for row in section.rows]
        text = "\n".join([mapping, *self.lines(), *stored])
        return hashlib.sha256(text.encode()).hexdigest()


# --- comparing ----------------------------------------------------------------------------


def _label(model: type[Keyed], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name)).capitalize()


def _position(model: type[Keyed], name: str) -> int:
    """Where a field comes in the model, so a preview lists fields in the same order
    whether they are set on every import or only on a new item."""
    return [f.name for f in model._meta.fields].index(name)


def _shown(model: type[Keyed], name: str, value: Any) -> str:
    """A field's value as people read it: choice labels, tags joined, long text cut."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
    text = str(choices.get(value, value))
    return text if len(text) <= 80 else text[:79] + "…"


class _Comparer:
    """Builds the preview rows of a plan against the loaded state."""

    def __init__(self, plan: Plan, current: Current) -> None:
        self.plan = plan
        self.current = current
        self.problems = list(plan.problems)
        planned = {(item.target, item.key): item for item in plan.items}
        self.planned = planned
        self.ids = {target: current.key_by_id(target) for target in (Target.AREA, Target.TEAM)}
        self.names = {
            target: {obj.name.lower(): obj for obj in objs.values()}
            for target, objs in current.items.items()
        }

    def run(self) -> Preview:
        rows = [self.row(item) for item in self.plan.items]
        return Preview(self.plan, rows, self.problems)

    def name_of(self, target: Target, key: str) -> str:
        item = self.planned.get((target, key))
        if item is not None:
            return item.name
        return self.current.items[target][key].name

    def row(self, item: PlannedItem) -> Row:
        model = MODELS[item.target]
        obj = self.current.items[item.target].get(item.key)
        self.check_name(item, obj)
        wanted = dict(item.fields) if obj is not None else {**item.on_create, **item.fields}
        changes = []
        for name, value in sorted(wanted.items(), key=lambda pair: _position(model, pair[0])):
            before = getattr(obj, name) if obj is not None else None
            if obj is None and name in ("name", "description"):
                continue  # shown in their own column; a new item has no before
            if obj is None or before != value:
                changes.append(
                    FieldChange(
                        _label(model, name), _shown(model, name, before), _shown(model, name, value)
                    )
                )
        for link, key in item.links.items():
            target = backstage.LINK_TARGETS[link]
            before_key = (
                self.ids[target].get(getattr(obj, f"{link}_id")) if obj is not None else None
            )
            if before_key != key:
                before = self.name_of(target, before_key) if before_key else "—"
                changes.append(FieldChange(_label(model, link), before, self.name_of(target, key)))
        status = CREATE if obj is None else UPDATE if changes else UNCHANGED
        stored = ""
        if obj is not None:
            names = sorted(wanted) + [f"{link}_id" for link in sorted(item.links)]
            stored = repr([(name, getattr(obj, name)) for name in names])
        row = Row(item, status, changes, stored=stored)
        for offering_key in item.uses:
            offering = self.current.items[Target.OFFERING].get(offering_key)
            if obj is None or offering is None or (obj.pk, offering.pk) not in self.current.usages:
                row.new_uses.append(offering_key)
                row.uses_shown.append(self.name_of(Target.OFFERING, offering_key))
        return row

    def check_name(self, item: PlannedItem, obj: Keyed | None) -> None:
        """Names are unique per kind regardless of case; keys are the reserved words'."""
        label = item.target.label
        other = self.names[item.target].get(item.name.lower())
        if other is not None and other.key != item.key:
            self.problems.append(
                f"{item.entity.place}: {item.entity.label} would be the {label} “{item.name}”, "
                f"but the {label} “{other.name}” (key {other.key}) already has that name. Rename "
                f"one of them (metadata.title in Backstage), or skip "
                f"{backstage.PLURALS[item.entity.kind]}."
            )
        if obj is None and item.key in RESERVED_KEYS:
            self.problems.append(
                f"{item.entity.place}: “{item.key}” names a page, so it cannot be the key of a "
                f"{label}: rename {item.entity.label}."
            )


def preview_for(
    reading: backstage.Reading, *, current: Current, mapping: Mapping[str, Target] | None
) -> Preview:
    plan = backstage.plan(reading, mapping=mapping, existing=current.keys())
    return _Comparer(plan, current).run()


def backstage_preview(
    *, organisation: Organisation, files: Files, mapping: Mapping[str, Target] | None = None
) -> Preview:
    """What importing ``files`` (name, text) would do; writes nothing.

    Raises BackstageError when a file cannot be read; problems found in the plan (name
    clashes, reserved keys) are in ``preview.problems``.
    """
    reading = backstage.read_files(files)
    return preview_for(reading, current=Current.load(organisation), mapping=mapping)


# --- writing ------------------------------------------------------------------------------


def backstage_import(
    *,
    organisation: Organisation,
    files: Files,
    mapping: Mapping[str, Target] | None = None,
    actor: Actor | None = None,
    expected_digest: str | None = None,
) -> Preview:
    """Import ``files`` into the organisation in one transaction: all or nothing.

    Plans again against the database under a lock, so what is written is what a preview
    made now would show; with ``expected_digest`` (from the preview a person saw) it
    raises PreviewChanged instead of writing anything different. Raises BackstageError
    when the files or the plan have problems. One line in the recent changes and one
    recompute, only when something changed.
    """
    reading = backstage.read_files(files)
    with transaction.atomic():
        # Serialise imports (and key choices) in this organisation, as the organisation
        # file import does.
        lock_organisation(organisation)
        current = Current.load(organisation, lock=True)
        preview = preview_for(reading, current=current, mapping=mapping)
        if preview.problems:
            raise BackstageError(preview.problems)
        if expected_digest is not None and preview.digest() != expected_digest:
            raise PreviewChanged(preview)
        if not preview.counts.changed:
            return preview
        _Writer(organisation, current, actor).write(preview)
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Backstage import: {preview.describe()}",
            url=reverse("catalogue:enabler_list", args=[organisation.slug]),
        )
        inputs_changed(organisation=organisation, reason="Backstage import")
    return preview


class _Writer:
    """Writes a preview's rows kind by kind, what others point at first, in bulk."""

    def __init__(self, organisation: Organisation, current: Current, actor: Actor | None):
        self.organisation = organisation
        self.current = current
        self.user = actor if actor is not None and actor.is_authenticated else None
        self.now = timezone.now()

    def write(self, preview: Preview) -> None:
        for target in TARGET_ORDER:
            rows = preview.rows_for(target)
            self.create(target, [row for row in rows if row.status == CREATE])
            self.update(target, [row for row in rows if row.status == UPDATE])
        self.add_usages(preview.rows_for(Target.ENABLER))

    def link(self, obj: Keyed, item: PlannedItem) -> list[str]:
        for link, key in item.links.items():
            target = self.current.items[backstage.LINK_TARGETS[link]][key]
            setattr(obj, f"{link}_id", target.pk)
        return list(item.links)

    def create(self, target: Target, rows: list[Row]) -> None:
        if not rows:
            return
        model = MODELS[target]
        objs = []
        for row in rows:
            obj = model(organisation=self.organisation, key=row.key)
            for name, value in {**row.item.on_create, **row.item.fields}.items():
                setattr(obj, name, value)
            self.link(obj, row.item)
            if isinstance(obj, Enabler):
                obj.created_by = self.user  # type: ignore[assignment]
                obj.version = 1
                obj._history_user = self.user  # type: ignore[attr-defined]
            objs.append(obj)
        if target is Target.ENABLER:
            created = bulk_create_with_history(
                objs, Enabler, default_user=self.user, default_change_reason=CHANGE_REASON
            )
        else:
            created = model.objects.bulk_create(objs)  # type: ignore[attr-defined]
        for obj in created:
            if obj.pk is None:  # every supported database returns the new ids
                raise RuntimeError("bulk_create returned no ids")
            self.current.items[target][obj.key] = obj

    def update(self, target: Target, rows: list[Row]) -> None:
        if not rows:
            return
        model = MODELS[target]
        objs, fields = [], {"updated_at"}
        for row in rows:
            obj = self.current.items[target][row.key]
            for name, value in row.item.fields.items():
                setattr(obj, name, value)
            fields |= set(row.item.fields) | set(self.link(obj, row.item))
            obj.updated_at = self.now
            objs.append(obj)
        scoped = model.objects.for_org(self.organisation)  # type: ignore[attr-defined]
        if target is Target.ENABLER:
            for obj in objs:
                obj.version += 1  # type: ignore[attr-defined]
                obj._history_user = self.user  # type: ignore[attr-defined]
            bulk_update_with_history(
                objs,
                Enabler,
                sorted(fields | {"version"}),
                manager=scoped,
                default_user=self.user,
                default_change_reason=CHANGE_REASON,
            )
        else:
            if any(field.name == "version" for field in model._meta.concrete_fields):
                # Offerings count their saves: an edit opened before the import is refused.
                for obj in objs:
                    obj.version += 1  # type: ignore[attr-defined]
                fields.add("version")
            scoped.bulk_update(objs, sorted(fields))

    def add_usages(self, rows: list[Row]) -> None:
        enablers = self.current.items[Target.ENABLER]
        offerings = self.current.items[Target.OFFERING]
        usages = [
            EnablerUsage(
                organisation=self.organisation,
                enabler_id=enablers[row.key].pk,
                offering_id=offerings[key].pk,
                criticality="medium",
            )
            for row in rows
            for key in row.new_uses
        ]
        if usages:
            EnablerUsage.objects.bulk_create(usages)
