"""Backstage catalog descriptor files read into a plan of catalogue items. Pure Python.

Backstage (backstage.io) keeps its software catalog in YAML descriptor files, usually
``catalog-info.yaml``, with several entities per file separated by ``---``. This module
reads them, checks each entity, resolves entity references by Backstage's rules and maps
each kind of entity to a kind of catalogue item. It knows nothing of the database: the
caller passes the keys the organisation already has, and backstage_import.py compares the
plan with the organisation and writes it.

The default mapping (each choosable kind can be changed, or skipped):

- Group -> team (new teams are delivery teams); Domain -> business area;
- System -> offering (a service), with its domain as business area and owner as team;
- Component -> enabler: type service -> platform, website -> internal service,
  library -> capability, anything else -> platform;
- Resource -> enabler: data when its type names something that stores data (database,
  storage, a bucket, a data set or table: see ``is_data_resource``), else platform.

Components and resources keep their owner (a Group) as owning team, and their system
becomes a usage of the enabler by that system's offering. APIs, Users, Locations and
Templates have no counterpart and are skipped, with the reason shown.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

DEFAULT_NAMESPACE = "default"

# The catalogue's key rules (catalogue.models.key_validator, KEY_MAX_LENGTH) and the
# longest name and description it stores. Repeated here because this module imports no
# Django; tests/backstage/test_import.py keeps the two in step.
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
TAG_MAX_LENGTH = 40  # as the enabler form allows
MAX_TAGS = 20
MAX_DOCUMENTS = 5000  # per upload: well beyond a real catalogue, short of a runaway file

# Backstage's default rules for metadata.name and metadata.namespace.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
BACKSTAGE_NAME_MAX = 63
# backstage.io/v1alpha1, scaffolder.backstage.io/v1beta3, ...
BACKSTAGE_API_VERSION = re.compile(r"^(?:[a-z0-9-]+\.)*backstage\.io/v\d", re.IGNORECASE)


class Target(StrEnum):
    """What an entity becomes in the catalogue."""

    AREA = "area"
    TEAM = "team"
    OFFERING = "offering"
    ENABLER = "enabler"
    SKIP = "skip"

    @property
    def label(self) -> str:
        return TARGET_LABELS[self]


TARGET_LABELS = {
    Target.AREA: "business area",
    Target.TEAM: "team",
    Target.OFFERING: "offering",
    Target.ENABLER: "enabler",
    Target.SKIP: "skip",
}
# The order items are written in: what others point at first.
TARGET_ORDER = (Target.AREA, Target.TEAM, Target.OFFERING, Target.ENABLER)

# The kinds a person may map, with the targets that make sense; the first is the default.
CHOICES: dict[str, tuple[Target, ...]] = {
    "Group": (Target.TEAM, Target.SKIP),
    "Domain": (Target.AREA, Target.SKIP),
    "System": (Target.OFFERING, Target.SKIP),
    "Component": (Target.ENABLER, Target.OFFERING, Target.SKIP),
    "Resource": (Target.ENABLER, Target.SKIP),
}
DEFAULT_MAPPING: dict[str, Target] = {kind: targets[0] for kind, targets in CHOICES.items()}
PLURALS = {
    "Group": "Groups",
    "Domain": "Domains",
    "System": "Systems",
    "Component": "Components",
    "Resource": "Resources",
}

# Backstage's own kinds, spelled as Backstage spells them (kinds match case-insensitively).
KNOWN_KINDS = (
    "Component",
    "API",
    "Resource",
    "System",
    "Domain",
    "Group",
    "User",
    "Location",
    "Template",
)
SKIP_REASONS = {
    "API": "APIs are interfaces of a component, not enablers: import the component that "
    "provides it",
    "User": "people join as members by invitation, not by import",
    "Location": "a Location points at other files: import those files",
    "Template": "software templates make new components; they are not part of the catalogue",
}

COMPONENT_KINDS = {"service": "platform", "website": "internal_service", "library": "capability"}
LIFECYCLES = {"production": "active", "experimental": "proposed", "deprecated": "deprecated"}
# Resource types that hold data become data enablers; everything else is a platform.
DATA_TYPES = frozenset(
    {
        "database",
        "db",
        "storage",
        "bucket",
        "s3-bucket",
        "gcs-bucket",
        "blob-storage",
        "object-storage",
        "file-storage",
        "data-warehouse",
        "data-lake",
        "dataset",
        "data-set",
        "table",
    }
)
DATA_SUFFIXES = ("-database", "-db", "-bucket", "-storage", "-dataset", "-table")

# Which entity a reference field points at when it names no kind, and what that entity
# must have become for the link to hold.
REFERENCE_FIELDS = {
    "owner": ("group", Target.TEAM),
    "domain": ("domain", Target.AREA),
    "system": ("system", Target.OFFERING),
}


class BackstageError(ValueError):
    """The files cannot be imported; ``problems`` says what is wrong and where."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class RefError(ValueError):
    """An entity reference that is not of the form [kind:][namespace/]name."""


class MappingError(ValueError):
    """A kind mapped to a target it cannot become."""


# --- entities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an entity (or a problem) is: file, document number (from 1) and line."""

    file: str
    document: int
    line: int

    def __str__(self) -> str:
        return f"{self.file}, document {self.document} (line {self.line})"


@dataclass(frozen=True, order=True)
class EntityRef:
    """Backstage's kind, namespace and name triplet, lowercased: references are
    case-insensitive."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"

    @property
    def short(self) -> str:
        """As people write it: the namespace only when it is not the default one."""
        if self.namespace == DEFAULT_NAMESPACE:
            return f"{self.kind}:{self.name}"
        return str(self)


@dataclass(frozen=True)
class Entity:
    """One entity of a descriptor file, checked."""

    place: Place
    api_version: str
    kind: str  # Backstage's spelling for its own kinds, else as written
    namespace: str  # lowercase
    name: str  # metadata.name as written
    title: str | None
    description: str | None
    tags: tuple[str, ...] | None
    spec: Mapping[str, Any]

    @property
    def ref(self) -> EntityRef:
        return EntityRef(self.kind.lower(), self.namespace, self.name.lower())

    @property
    def label(self) -> str:
        return self.ref.short


@dataclass(frozen=True)
class Skipped:
    """An entity (or document) that the import leaves out, and why."""

    place: Place
    kind: str
    name: str
    reason: str


@dataclass(frozen=True)
class Reading:
    """Every entity of the files, and the documents that are not Backstage entities."""

    entities: list[Entity]
    skipped: list[Skipped]


def parse_ref(value: object, *, default_kind: str, default_namespace: str) -> EntityRef:
    """Backstage's entity reference, string ``[kind:][namespace/]name`` or compound
    ``{kind, namespace, name}``; the kind and namespace default from the context.

    As in Backstage's parseEntityRef, a ``/`` before the first ``:`` means there is no kind.
    """
    if isinstance(value, Mapping):
        kind, namespace, name = value.get("kind"), value.get("namespace"), value.get("name")
        if not all(part is None or isinstance(part, str) for part in (kind, namespace)):
            raise RefError("the reference has a kind or namespace that is not text")
        if not isinstance(name, str) or not name.strip():
            raise RefError("the reference has no name")
    elif isinstance(value, str):
        text = value.strip()
        colon, slash = text.find(":"), text.find("/")
        if slash != -1 and slash < colon:
            colon = -1
        kind = text[:colon] if colon != -1 else None
        namespace = text[colon + 1 : slash] if slash != -1 else None
        name = text[max(colon + 1, slash + 1) :]
        if kind == "" or namespace == "" or name == "":
            raise RefError(f"“{value}” is not of the form [kind:][namespace/]name")
    else:
        raise RefError(f"a {type(value).__name__} is not an entity reference")
    return EntityRef(
        (kind or default_kind).strip().lower(),
        (namespace or default_namespace).strip().lower(),
        name.strip().lower(),
    )


def key_for(namespace: str, name: str) -> str:
    """The catalogue key of a Backstage name: lowercase, ``_`` and ``.`` as hyphens, no
    repeated hyphens, prefixed by the namespace unless it is the default one.

    The result may still break the key rules (too long, or odd characters in a compound
    reference); ``valid_key`` says.
    """
    key = re.sub(r"[_.]", "-", name.strip().lower())
    if namespace.lower() != DEFAULT_NAMESPACE:
        key = f"{namespace.strip().lower()}-{key}"
    return re.sub(r"-{2,}", "-", key).strip("-")


def valid_key(key: str) -> bool:
    return len(key) <= KEY_MAX_LENGTH and bool(KEY_PATTERN.match(key))


def canonical_kind(kind: str) -> str:
    """Backstage's spelling of one of its own kinds; other kinds as written."""
    for known in KNOWN_KINDS:
        if known.lower() == kind.lower():
            return known
    return kind


# --- reading files ----------------------------------------------------------------------


def read_files(files: Iterable[tuple[str, str]]) -> Reading:
    """Every entity of the files (name, text); BackstageError with every problem found."""
    entities: list[Entity] = []
    skipped: list[Skipped] = []
    problems: list[str] = []
    files = list(files)
    if not files:
        raise BackstageError(["No files to read."])
    for filename, text in files:
        found, left_out, wrong = _read_file(filename, text)
        entities += found
        skipped += left_out
        problems += wrong
    if len(entities) + len(skipped) > MAX_DOCUMENTS:
        problems.append(f"More than {MAX_DOCUMENTS} documents: import them in smaller parts.")
    if problems:
        raise BackstageError(problems)
    return Reading(entities, skipped)


MAX_FLOW_DEPTH = 100  # real descriptors nest a handful of levels


def _flow_depth(text: str) -> int:
    """The deepest nesting of [ and { (quotes ignored: an overestimate is fine here)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _read_file(filename: str, text: str) -> tuple[list[Entity], list[Skipped], list[str]]:
    entities: list[Entity] = []
    skipped: list[Skipped] = []
    problems: list[str] = []
    document = 0
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        # PyYAML's scanner slows down badly on deep [ [ [ ...: refuse before parsing.
        problems.append(f"{filename}: nested too deeply to be a descriptor.")
        return entities, skipped, problems
    try:
        loader = yaml.SafeLoader(text)  # reads the text at once: a control character fails here
    except yaml.YAMLError as error:
        problems.append(f"{filename}: not valid YAML ({error}).")
        return [], [], problems
    try:
        while True:
            document += 1  # the document being read, for a YAML error's message
            if not loader.check_node():
                break
            node = loader.get_node()
            if node is None:
                continue
            place = Place(filename, document, node.start_mark.line + 1)
            data = loader.construct_document(node)
            if data is None:
                continue  # an empty document, as between two "---" lines
            entity, reason = _entity(data, place, problems)
            if entity is not None:
                entities.append(entity)
            elif reason is not None:
                skipped.append(reason)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = error.problem or error.context or "unreadable"
        problems.append(f"{filename}, document {document}{where}: not valid YAML: {what}.")
        return [], [], problems
    except yaml.YAMLError as error:
        problems.append(f"{filename}: not valid YAML ({error}).")
        return [], [], problems
    except RecursionError:
        problems.append(f"{filename}, document {document}: nested too deeply to be a descriptor.")
        return [], [], problems
    finally:
        loader.dispose()
    if not problems and not entities:
        if skipped:
            problems.append(
                f"{filename}: not a Backstage descriptor file: no document has a "
                "backstage.io apiVersion."
            )
        else:
            problems.append(f"{filename}: no entities found: the file is empty.")
    return entities, skipped, problems


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


DEFINITION_KEYS = {"openapi": "an OpenAPI", "swagger": "an OpenAPI", "asyncapi": "an AsyncAPI"}


def _not_an_entity(data: Mapping[Any, Any]) -> str:
    """Why a mapping with no apiVersion, kind or metadata is refused, naming an API
    definition when it is one."""
    what = next((DEFINITION_KEYS[k] for k in DEFINITION_KEYS if k in data), None)
    if what is not None:
        return (
            f"{what} definition, not a Backstage entity (no apiVersion and kind): leave it "
            "out; import the API or component descriptors that refer to it."
        )
    return (
        "not a Backstage entity: no apiVersion, kind or metadata. Leave out files that "
        "are not catalog descriptors."
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_character_at(data: object) -> str:
    """The path of the first text holding a control character (no database stores NUL)."""
    stack: list[tuple[str, object]] = [("", data)]
    seen: set[int] = set()  # YAML aliases share one object: walk it once (no alias bomb)
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _CONTROL.search(value):
                return path or "a value"
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
    return ""


def _entity(
    data: object, place: Place, problems: list[str]
) -> tuple[Entity | None, Skipped | None]:
    """One document checked: an entity, a document that is not Backstage's (skipped), or
    neither (its problems added)."""
    if not isinstance(data, dict):
        problems.append(
            f"{place}: not a Backstage entity: expected a mapping with apiVersion, kind and "
            "metadata."
        )
        return None, None
    api_version, kind, metadata = data.get("apiVersion"), data.get("kind"), data.get("metadata")
    missing = [
        name for name, value in (("apiVersion", api_version), ("kind", kind)) if not _text(value)
    ]
    if len(missing) == 2 and "metadata" not in data:
        # Nothing of an entity at all: most likely a definition that sits next to the
        # descriptors (Backstage's own examples keep *.oas.yaml files among them).
        problems.append(f"{place}: {_not_an_entity(data)}")
        return None, None
    if missing:
        problems.append(f"{place}: {' and '.join(missing)} missing.")
        return None, None
    api_version, kind = str(api_version).strip(), str(kind).strip()
    # Values are never shown whole unless they are text: YAML aliases can make a small
    # file into a structure far too large to print.
    if not BACKSTAGE_API_VERSION.match(api_version):
        name = metadata.get("name") if isinstance(metadata, dict) else None
        reason = f"apiVersion {api_version} is not Backstage's"
        return None, Skipped(place, kind, name if isinstance(name, str) else "", reason)
    raw_name = metadata.get("name") if isinstance(metadata, dict) else None
    if raw_name is None or raw_name == "" or not isinstance(metadata, dict):
        problems.append(f"{place}: metadata.name missing ({kind}).")
        return None, None
    if not isinstance(raw_name, str):
        problems.append(f"{place}: metadata.name must be text ({kind}); put it in quotes.")
        return None, None
    before = len(problems)
    name = raw_name.strip()
    if len(name) > BACKSTAGE_NAME_MAX or not NAME_PATTERN.match(name):
        problems.append(
            f"{place}: metadata.name “{name}” is not a Backstage name: 1 to 63 letters and "
            "digits, with single - _ or . between them."
        )
    namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
    if not isinstance(namespace, str):
        problems.append(f"{place}: metadata.namespace must be text.")
        namespace = DEFAULT_NAMESPACE
    elif len(namespace) > BACKSTAGE_NAME_MAX or not NAMESPACE_PATTERN.match(namespace):
        problems.append(
            f"{place}: metadata.namespace “{namespace}” is not a Backstage namespace: letters "
            "and digits with single hyphens, at most 63."
        )
    title, description, tags = (metadata.get(k) for k in ("title", "description", "tags"))
    for label, value in (("metadata.title", title), ("metadata.description", description)):
        if value is not None and not isinstance(value, str):
            problems.append(f"{place}: {label} must be text.")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
    ):
        problems.append(f"{place}: metadata.tags must be a list of words.")
    spec = data.get("spec") or {}
    if not isinstance(spec, dict):
        problems.append(f"{place}: spec must be a mapping.")
    control = _control_character_at(data)
    if control:
        problems.append(f"{place}: {control} holds a control character (such as NUL): remove it.")
    if len(problems) > before:
        return None, None
    return (
        Entity(
            place=place,
            api_version=api_version,
            kind=canonical_kind(kind.strip()),
            namespace=str(namespace).lower(),
            name=name,
            title=title.strip() if isinstance(title, str) and title.strip() else None,
            description=description.strip() if isinstance(description, str) else None,
            tags=tuple(tags) if isinstance(tags, list) else None,
            spec=spec,
        ),
        None,
    )


# --- the mapping ------------------------------------------------------------------------


def mapping_with(overrides: Mapping[str, str] | None = None) -> dict[str, Target]:
    """The default mapping with ``overrides`` (kind -> target, any case) applied."""
    mapping = dict(DEFAULT_MAPPING)
    for raw_kind, raw_target in (overrides or {}).items():
        kind = canonical_kind(raw_kind.strip())
        if kind not in CHOICES:
            choosable = ", ".join(CHOICES)
            raise MappingError(f"“{raw_kind}” cannot be mapped: choose one of {choosable}.")
        allowed = CHOICES[kind]
        target = raw_target.strip().lower().replace(" ", "-")
        if target in ("business-area", "area"):
            target = Target.AREA
        if target not in allowed:
            names = ", ".join(t.label for t in allowed)
            raise MappingError(f"{PLURALS[kind]} cannot become “{raw_target}”: choose {names}.")
        mapping[kind] = Target(target)
    return mapping


def parse_map_options(options: Iterable[str]) -> dict[str, Target]:
    """``KIND=TARGET`` pairs (the command's --map) as a mapping."""
    overrides: dict[str, str] = {}
    for option in options:
        kind, sep, target = option.partition("=")
        if not sep or not kind.strip() or not target.strip():
            raise MappingError(f"“{option}” is not KIND=TARGET (for example Component=offering).")
        overrides[kind] = target
    return mapping_with(overrides)


def is_data_resource(resource_type: str) -> bool:
    """A Resource type that names something holding data: database, storage, bucket..."""
    kind = resource_type.strip().lower()
    return kind in DATA_TYPES or kind.endswith(DATA_SUFFIXES)


# --- the plan ---------------------------------------------------------------------------


@dataclass
class PlannedItem:
    """One catalogue item the files describe."""

    target: Target
    key: str
    entity: Entity
    fields: dict[str, Any]  # set when created and when updated
    on_create: dict[str, Any] = field(default_factory=dict)  # set only on a new item
    # Links to other items by key: owner_team and team -> team, business_area -> area.
    links: dict[str, str] = field(default_factory=dict)
    uses: list[str] = field(default_factory=list)  # offerings (keys) using this enabler
    notes: list[str] = field(default_factory=list)  # warnings about this item

    @property
    def name(self) -> str:
        return str(self.fields["name"])


LINK_TARGETS = {"owner_team": Target.TEAM, "team": Target.TEAM, "business_area": Target.AREA}


@dataclass
class Plan:
    """What the files would make of the catalogue, before looking at its current state."""

    items: list[PlannedItem]
    skipped: list[Skipped]
    problems: list[str]
    mapping: dict[str, Target]
    kinds: dict[str, int]  # entities per kind in the files

    def of(self, target: Target) -> list[PlannedItem]:
        return [item for item in self.items if item.target is target]

    @property
    def choosable_kinds(self) -> list[str]:
        """The kinds present whose target a person may change, in the order of CHOICES."""
        return [kind for kind in CHOICES if kind in self.kinds]


def plan(
    reading: Reading,
    *,
    mapping: Mapping[str, Target] | None = None,
    existing: Mapping[Target, Collection[str]] | None = None,
) -> Plan:
    """Map every entity to a catalogue item (or skip it), resolving references first to
    entities in the files, then to ``existing`` keys of the organisation."""
    return _Planner(reading, dict(mapping or DEFAULT_MAPPING), existing or {}).run()


class _Planner:
    def __init__(
        self,
        reading: Reading,
        mapping: dict[str, Target],
        existing: Mapping[Target, Collection[str]],
    ) -> None:
        self.reading = reading
        self.mapping = mapping
        self.existing = existing
        self.problems: list[str] = []
        self.index: dict[EntityRef, Entity] = {}

    def run(self) -> Plan:
        kinds: dict[str, int] = {}
        for entity in self.reading.entities:
            kinds[entity.kind] = kinds.get(entity.kind, 0) + 1
            other = self.index.setdefault(entity.ref, entity)
            if other is not entity:
                self.problems.append(
                    f"{entity.place}: {entity.label} is also defined in {other.place}; "
                    "Backstage names are unique per kind and namespace."
                )
        items: list[PlannedItem] = []
        skipped = list(self.reading.skipped)
        for entity in self.reading.entities:
            target = self.target_of(entity.kind)
            if target is Target.SKIP:
                skipped.append(Skipped(entity.place, entity.kind, entity.name, self.why(entity)))
                continue
            item = self.item(entity, target)
            if item is not None:
                items.append(item)
        self.check_clashes(items)
        return Plan(items, skipped, self.problems, self.mapping, kinds)

    def target_of(self, kind: str) -> Target:
        return self.mapping.get(kind, DEFAULT_MAPPING.get(kind, Target.SKIP))

    def why(self, entity: Entity) -> str:
        if entity.kind in CHOICES:
            return f"{PLURALS[entity.kind]} are set to skip in this import"
        targets = entity.spec.get("targets") or entity.spec.get("target")
        named = [t for t in (targets if isinstance(targets, list) else [targets]) if _text(t)]
        if entity.kind == "Location" and named:
            more = f" and {len(named) - 5} more" if len(named) > 5 else ""
            return (
                f"a Location points at other files ({', '.join(named[:5])}{more}): "
                "import those files"
            )
        return SKIP_REASONS.get(
            entity.kind, f"{entity.kind} entities have no counterpart in the catalogue"
        )

    def item(self, entity: Entity, target: Target) -> PlannedItem | None:
        key = key_for(entity.namespace, entity.name)
        if not valid_key(key):
            self.problems.append(
                f"{entity.place}: {entity.label} would get the key “{key}”, which is longer "
                f"than {KEY_MAX_LENGTH} characters or not lowercase letters, digits and "
                "single hyphens."
            )
            return None
        name = self.name_of(entity)
        fields: dict[str, Any] = {"name": name}
        if len(name) > NAME_MAX_LENGTH:
            self.problems.append(
                f"{entity.place}: the name of {entity.label} is longer than "
                f"{NAME_MAX_LENGTH} characters."
            )
        if entity.description is not None:
            fields["description"] = entity.description
            if len(entity.description) > DESCRIPTION_MAX_LENGTH:
                self.problems.append(
                    f"{entity.place}: the description of {entity.label} is longer than "
                    f"{DESCRIPTION_MAX_LENGTH} characters."
                )
        item = PlannedItem(target, key, entity, fields)
        if target is Target.TEAM:
            item.on_create["kind"] = "delivery"  # an existing team's kind is left alone
        elif target is Target.OFFERING:
            item.on_create["kind"] = "service"
            self.link(item, "owner", "team")
            if entity.kind == "System":
                self.link(item, "domain", "business_area")
        elif target is Target.ENABLER:
            self.enabler(item)
        return item

    def name_of(self, entity: Entity) -> str:
        if entity.kind == "Group":
            profile = entity.spec.get("profile")
            display = profile.get("displayName") if isinstance(profile, Mapping) else None
            if _text(display):
                return str(display).strip()
        return entity.title or entity.name

    def enabler(self, item: PlannedItem) -> None:
        entity, spec = item.entity, item.entity.spec
        kind_type = spec.get("type")
        type_text = kind_type.strip().lower() if isinstance(kind_type, str) else ""
        if entity.kind == "Resource":
            item.fields["kind"] = "data" if is_data_resource(type_text) else "platform"
        else:
            item.fields["kind"] = COMPONENT_KINDS.get(type_text, "platform")
            if type_text not in COMPONENT_KINDS:
                shown = f"type “{kind_type}”" if type_text else "no spec.type"
                item.notes.append(
                    f"{shown}: not service, website or library, so imported as a platform"
                )
        lifecycle = spec.get("lifecycle")
        if isinstance(lifecycle, str) and lifecycle.strip():
            mapped = LIFECYCLES.get(lifecycle.strip().lower())
            if mapped:
                item.fields["lifecycle"] = mapped
            else:
                item.on_create["lifecycle"] = "proposed"
                item.notes.append(
                    f"lifecycle “{lifecycle}” is not production, experimental or deprecated: "
                    "a new enabler starts as proposed, an existing one keeps its lifecycle"
                )
        if entity.tags is not None:
            item.fields["tags"] = self.tags(entity.tags, item.notes)
        self.link(item, "owner", "owner_team")
        system = self.resolve(entity, "system", item.notes, purpose="no usage added")
        if system is not None:
            item.uses.append(system)

    def tags(self, raw: Sequence[str], notes: list[str]) -> list[str]:
        tags: list[str] = []
        for tag in (t.strip().lower() for t in raw):
            if not tag or tag in tags:
                continue
            if len(tag) > TAG_MAX_LENGTH:
                notes.append(f"tag “{tag}” is longer than {TAG_MAX_LENGTH} characters: left out")
                continue
            tags.append(tag)
        if len(tags) > MAX_TAGS:
            notes.append(f"more than {MAX_TAGS} tags: the first {MAX_TAGS} kept")
            tags = tags[:MAX_TAGS]
        return tags

    def link(self, item: PlannedItem, spec_field: str, link: str) -> None:
        key = self.resolve(item.entity, spec_field, item.notes, purpose="left empty")
        if key is not None:
            item.links[link] = key

    def resolve(
        self, entity: Entity, spec_field: str, notes: list[str], *, purpose: str
    ) -> str | None:
        """The key of the item ``spec.<spec_field>`` points at, or None with a note."""
        value = entity.spec.get(spec_field)
        if value is None or value == "":
            if spec_field == "owner":
                notes.append(f"no spec.owner: {purpose}")
            return None
        default_kind, target = REFERENCE_FIELDS[spec_field]
        where = f"spec.{spec_field}"
        try:
            ref = parse_ref(value, default_kind=default_kind, default_namespace=entity.namespace)
        except RefError as error:
            notes.append(f"{where}: {error}: {purpose}")
            return None
        if spec_field == "owner" and ref.kind == "user":
            notes.append(f"owned by the person {ref.short}, and people are not teams: {purpose}")
            return None
        if ref.kind != default_kind:
            notes.append(f"{where} points at {ref.short}, not a {default_kind}: {purpose}")
            return None
        key = key_for(ref.namespace, ref.name)
        found = self.index.get(ref)
        if found is not None and self.target_of(found.kind) is target and valid_key(key):
            return key
        if valid_key(key) and key in self.existing.get(target, ()):
            return key
        if found is not None:
            why = f"{PLURALS.get(found.kind, found.kind)} are set to skip in this import"
        else:
            why = "it is not in the uploaded files"
        notes.append(
            f"{where} points at {ref.short}: {why}, and no {target.label} has the key “{key}”: "
            f"{purpose}"
        )
        return None

    def check_clashes(self, items: list[PlannedItem]) -> None:
        """Two entities that would become the same item, or two items with one name."""
        seen_keys: dict[tuple[Target, str], PlannedItem] = {}
        seen_names: dict[tuple[Target, str], PlannedItem] = {}
        for item in items:
            other = seen_keys.setdefault((item.target, item.key), item)
            if other is not item:
                if other.entity.ref != item.entity.ref:  # the same entity twice is reported
                    self.problems.append(
                        f"{item.entity.place}: {item.entity.label} and {other.entity.label} "
                        f"({other.entity.place}) would both become the {item.target.label} "
                        f"with the key “{item.key}”."
                    )
                continue
            other = seen_names.setdefault((item.target, item.name.lower()), item)
            if other is not item:
                self.problems.append(
                    f"{item.entity.place}: {item.entity.label} and {other.entity.label} "
                    f"({other.entity.place}) would both be the {item.target.label} named "
                    f"“{item.name}”; names are unique regardless of case. Give one a "
                    "different metadata.title."
                )
