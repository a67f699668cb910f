"""The organisation file (format ``enabling-model/1``): read, check, import and export.

One file holds one organisation, in YAML or JSON (see ``organisation-format.md``):

- :func:`parse_organisation_file` reads the text and checks it whole: its shape (pydantic
  models that forbid unknown fields and take no type for another) and everything that
  ties items together (references, duplicate keys and names, loops of ``supersedes``).
  Every problem is named by its place in the file (``journeys[2].steps[0].offering:
  unknown offering 'grocery-onlin'``) and all of them are raised at once in an
  :class:`OrganisationFileError`.
- :func:`import_organisation` writes a checked file in one transaction, creating the
  organisation or updating it by key (``replace`` also removes what the file does not
  list). Importing the same file twice changes nothing the second time.
- :func:`export_organisation` writes the same structure back, in a fixed order, so that
  export → import into an empty installation → export gives the same text.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, TypeGuard, TypeVar

import yaml
from django.db import models, transaction
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from catalogue.models import (
    KEY_MAX_LENGTH,
    BusinessArea,
    Classification,
    Criticality,
    DeliveryModel,
    Enabler,
    EnablerKind,
    EnablerUsage,
    Journey,
    JourneyStep,
    Keyed,
    Lifecycle,
    Offering,
    OfferingKind,
    Organisation,
    Team,
    TeamKind,
    Touchpoint,
)
from catalogue.services import record_change

from .balance.thresholds import THRESHOLD_NAMES, Thresholds
from .models import (
    Assessment,
    AssessmentRound,
    BottleneckFlag,
    Decision,
    DecisionChange,
    DecisionStatus,
    FlagStatus,
    RoundStatus,
    Severity,
)

FORMAT = "enabling-model/1"
MAX_FILE_BYTES = 5 * 1024 * 1024
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Sections in the order of the format, which is also the order problems are listed in.
SECTIONS = (
    "format",
    "organisation",
    "business_areas",
    "teams",
    "offerings",
    "touchpoints",
    "journeys",
    "enablers",
    "assessment_rounds",
    "assessments",
    "bottlenecks",
    "decisions",
    "settings",
)

# Text limits follow the models' fields.
NAME_MAX = 200
DESCRIPTION_MAX = 5000
LONG_TEXT_MAX = 10000
CAPABILITY_MAX = 100
TAG_MAX = 100


class OrganisationFileError(Exception):
    """A file that cannot be imported; ``problems`` are ``path: message`` strings."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- field types ---------------------------------------------------------------------------
#
# Each scalar goes through one small check that takes no type for another (``fit: "4"`` is
# refused, as is ``name: 2026``) and says what is expected in plain words.


def _fail(kind: str, message: str, **context: Any) -> PydanticCustomError:
    # The message is a template: values from the file go in ``context``, never in it.
    return PydanticCustomError(kind, message, context or None)


def _text(max_length: int, *, required: bool) -> PlainValidator:
    def check(value: Any) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise _fail("text", "must be text")
        if required and not value.strip():
            raise _fail("empty", "must not be empty")
        if len(value) > max_length:
            raise _fail(
                "too_long",
                "must be at most {max} characters (it has {length})",
                max=max_length,
                length=len(value),
            )
        return value

    return PlainValidator(check)


def _check_key(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("key_type", "must be a key (text)")
    if len(value) > KEY_MAX_LENGTH:
        raise _fail("key_long", "must be at most {max} characters", max=KEY_MAX_LENGTH)
    if not KEY_PATTERN.match(value):
        raise _fail(
            "key_pattern",
            "must be lowercase letters, digits and single hyphens (for example food-digital)",
        )
    return value


def _optional_key(value: Any) -> str | None:
    return None if value is None else _check_key(value)


def _choice(values: Iterable[str], *, default: str | None = None) -> PlainValidator:
    allowed = tuple(values)
    listed = ", ".join(allowed)

    def check(value: Any) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in allowed:
            raise _fail("choice", "must be one of {listed}", listed=listed)
        return value

    return PlainValidator(check)


def _whole_number(low: int, high: int) -> PlainValidator:
    def check(value: Any) -> int:
        # bool is an int to Python, but `true` is not a score.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _fail("number", "must be a whole number from {low} to {high}", low=low, high=high)
        return value

    return PlainValidator(check)


def _check_date(value: Any) -> date | None:
    if value is None:
        return None
    # YAML reads 2026-10-01 as a date; JSON has only the text.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail("date", "must be a date written as YYYY-MM-DD")


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


Key = Annotated[str, PlainValidator(_check_key)]
OptionalKey = Annotated[str | None, PlainValidator(_optional_key)]
Name = Annotated[str, _text(NAME_MAX, required=True)]
ShortText = Annotated[str, _text(NAME_MAX, required=False)]
Description = Annotated[str, _text(DESCRIPTION_MAX, required=False)]
LongText = Annotated[str, _text(LONG_TEXT_MAX, required=False)]
OptionalDate = Annotated[date | None, PlainValidator(_check_date)]
Tag = Annotated[str, _text(TAG_MAX, required=True)]
T = TypeVar("T")
ListOf = Annotated[list[T], BeforeValidator(_none_is_empty)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @_model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise _fail("mapping", "must be a mapping of field names to values")
        return data


class OrganisationInfo(_Item):
    name: Name
    slug: Key
    delivery_model: Annotated[str, _choice(DeliveryModel.values, default="")] = ""
    description: Description = ""


class AreaItem(_Item):
    key: Key
    name: Name
    description: Description = ""


class TeamItem(_Item):
    key: Key
    name: Name
    kind: Annotated[str, _choice(TeamKind.values)]
    business_area: OptionalKey = None
    description: Description = ""


class OfferingItem(_Item):
    key: Key
    name: Name
    kind: Annotated[str, _choice(OfferingKind.values)]
    business_area: OptionalKey = None
    team: OptionalKey = None
    description: Description = ""


class TouchpointItem(_Item):
    key: Key
    name: Name
    description: Description = ""


class StepItem(_Item):
    name: Name
    offering: Key
    touchpoints: ListOf[Key] = []


class JourneyItem(_Item):
    key: Key
    name: Name
    segment: ShortText = ""
    description: Description = ""
    steps: ListOf[StepItem] = []


class UsageItem(BaseModel):
    """``used_by`` entry: an offering key, or ``{offering: key, criticality: ...}``."""

    model_config = ConfigDict(extra="forbid")

    offering: Key
    criticality: Annotated[str, _choice(Criticality.values, default=Criticality.MEDIUM)] = (
        Criticality.MEDIUM
    )

    @_model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"offering": data}
        if not isinstance(data, dict):
            raise _fail(
                "usage", "must be an offering key or a mapping with offering and criticality"
            )
        return data


class EnablerItem(_Item):
    key: Key
    name: Name
    kind: Annotated[str, _choice(EnablerKind.values)]
    capability: Annotated[str, _text(CAPABILITY_MAX, required=False)] = ""
    classification: Annotated[str, _choice(Classification.values)]
    lifecycle: Annotated[str, _choice(Lifecycle.values, default=Lifecycle.ACTIVE)] = (
        Lifecycle.ACTIVE
    )
    owner: OptionalKey = None
    description: Description = ""
    tags: ListOf[Tag] = []
    used_by: ListOf[UsageItem] = []


class RoundItem(_Item):
    key: Key
    name: Name
    status: Annotated[str, _choice(RoundStatus.values)]
    opened_on: OptionalDate = None


class AssessmentItem(_Item):
    round: Key
    team: Key
    enabler: Key
    fit: Annotated[int, _whole_number(1, 5)]
    pace: Annotated[int, _whole_number(-2, 2)]
    preferred: Annotated[str, _choice(Classification.values, default="")] = ""
    comment: Description = ""


class FlagItem(_Item):
    key: Key
    team: Key
    enabler: Key
    offering: OptionalKey = None
    journey: OptionalKey = None
    severity: Annotated[str, _choice(Severity.values)]
    status: Annotated[str, _choice(FlagStatus.values, default=FlagStatus.OPEN)] = FlagStatus.OPEN
    summary: Name
    details: Description = ""


class ChangeItem(_Item):
    enabler: Key
    # ``from`` is a Python keyword: the field is ``from_``, written ``from`` in the file.
    from_: Annotated[str, _choice(Classification.values), Field(alias="from")]
    to: Annotated[str, _choice(Classification.values)]


class DecisionItem(_Item):
    key: Key
    title: Name
    status: Annotated[str, _choice(DecisionStatus.values)]
    enablers: ListOf[Key] = []
    changes: ListOf[ChangeItem] = []
    context: LongText = ""
    decision: LongText = ""
    consequences: LongText = ""
    options: LongText = ""
    decided_on: OptionalDate = None
    review_on: OptionalDate = None
    supersedes: OptionalKey = None


def _check_format(value: Any) -> str:
    if value != FORMAT:
        raise _fail("format", "must be {format}", format=FORMAT)
    return FORMAT


def _settings_mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail("settings", "must be a mapping of setting names to numbers")
    # Names and values are checked with the balance method's own rules (see _check_links).
    return dict(value)


class OrganisationFile(_Item):
    """A checked organisation file (what :func:`parse_organisation_file` returns)."""

    format: Annotated[str, PlainValidator(_check_format)]
    organisation: OrganisationInfo
    business_areas: ListOf[AreaItem] = []
    teams: ListOf[TeamItem] = []
    offerings: ListOf[OfferingItem] = []
    touchpoints: ListOf[TouchpointItem] = []
    journeys: ListOf[JourneyItem] = []
    enablers: ListOf[EnablerItem] = []
    assessment_rounds: ListOf[RoundItem] = []
    assessments: ListOf[AssessmentItem] = []
    bottlenecks: ListOf[FlagItem] = []
    decisions: ListOf[DecisionItem] = []
    settings: Annotated[dict[str, Any], PlainValidator(_settings_mapping)] = {}


# --- reading -------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes repeated fields and refuses aliases (no expansion bombs)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated: list[str] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not supported", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value
            if key in seen:
                self.repeated.append(
                    f"line {key_node.start_mark.line + 1}: field '{key}' appears twice "
                    "in the same mapping"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp(loader: _Loader, node: Any) -> Any:
    # An impossible date (2026-13-01) stays text, for the field's check to name.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _read_yaml(text: str) -> tuple[Any, list[str]]:
    try:
        loader = _Loader(text)  # reads the text at once: a control character fails here
    except yaml.YAMLError as error:
        raise OrganisationFileError([f"file: YAML cannot be read: {error}"]) from None
    try:
        return loader.get_single_data(), loader.repeated
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = error.problem or error.context or "cannot be read"
        raise OrganisationFileError([f"{where}: YAML syntax error: {problem}"]) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
        raise OrganisationFileError([f"file: YAML cannot be read: {error}"]) from None
    finally:
        loader.dispose()


def _read_json(text: str) -> tuple[Any, list[str]]:
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                repeated.append(f"file: field '{key}' appears twice in the same object")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=pairs), repeated
    except json.JSONDecodeError as error:
        raise OrganisationFileError(
            [f"line {error.lineno}, column {error.colno}: JSON syntax error: {error.msg}"]
        ) from None
    except (ValueError, RecursionError):
        # Numbers too long to read, or nesting too deep: not an organisation file.
        raise OrganisationFileError(
            ["file: JSON cannot be read (too deeply nested or a number too long)"]
        ) from None


def _looks_like_json(text: str, filename: str) -> bool:
    name = filename.lower()
    if name.endswith(".json"):
        return True
    if name.endswith((".yaml", ".yml")):
        return False
    return text.lstrip().startswith(("{", "["))


def parse_organisation_file(content: bytes | str, *, filename: str = "") -> OrganisationFile:
    """Read and check an organisation file (YAML, or JSON by extension or first character).

    Raises :class:`OrganisationFileError` listing every problem found, each as
    ``path: message`` (for example ``enablers[4].classification: must be one of
    repeatable, common, independent``).
    """
    if isinstance(content, bytes):
        if len(content) > MAX_FILE_BYTES:
            raise OrganisationFileError(["file: is larger than 5 MB"])
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise OrganisationFileError(["file: is not UTF-8 text"]) from None
    else:
        text = content.removeprefix("\ufeff")
        if len(text) > MAX_FILE_BYTES:
            raise OrganisationFileError(["file: is larger than 5 MB"])
    if not text.strip():
        raise OrganisationFileError(["file: is empty"])

    raw, problems = (_read_json if _looks_like_json(text, filename) else _read_yaml)(text)
    if raw is None:
        raise OrganisationFileError(["file: is empty"])
    if not isinstance(raw, dict):
        raise OrganisationFileError(
            ["file: must be a mapping with format, organisation and the sections"]
        )

    found: list[tuple[tuple[Any, ...], str]] = []
    parsed: OrganisationFile | None = None
    try:
        parsed = OrganisationFile.model_validate(raw)
    except ValidationError as error:
        for detail in error.errors():
            loc = _file_loc(detail["loc"], raw)
            found.append((loc, _message(detail, loc)))
    errored = {loc for loc, _ in found}
    found += [item for item in _check_links(raw) if item[0] not in errored]

    if problems or found:
        ordered = sorted(enumerate(found), key=lambda pair: (_sort_key(pair[1][0]), pair[0]))
        problems += [f"{_path(loc)}: {message}" for _, (loc, message) in ordered]
        raise OrganisationFileError(problems)
    assert parsed is not None
    settings = Thresholds.with_overrides(parsed.settings)
    return parsed.model_copy(
        update={"settings": {name: getattr(settings, name) for name in parsed.settings}}
    )


def _file_loc(loc: tuple[Any, ...], raw: Any) -> tuple[Any, ...]:
    """``loc`` as written in the file: ``from_`` is ``from``; a plain ``used_by`` key has no
    ``.offering``."""
    result: list[Any] = []
    node = raw
    for part in loc:
        name = "from" if part == "from_" else part
        if isinstance(node, dict):
            node = node.get(name)
        elif isinstance(node, list) and isinstance(name, int) and 0 <= name < len(node):
            node = node[name]
        else:
            break
        result.append(name)
    return tuple(result)


def _message(detail: Any, loc: tuple[Any, ...]) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "list_type":
        return "must be a list"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "must be a mapping of field names to values"
    return str(detail["msg"])


def _path(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "file"
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _sort_key(loc: tuple[Any, ...]) -> tuple[tuple[int, int], ...]:
    key: list[tuple[int, int]] = []
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            key.append((0, part))
        elif depth == 0:
            key.append((SECTIONS.index(part) if part in SECTIONS else len(SECTIONS), 0))
        else:
            key.append((0, 0))
    return tuple(key)


# --- checks across items -------------------------------------------------------------------

Problem = tuple[tuple[Any, ...], str]


def _entries(raw: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = raw.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _valid_key(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(KEY_PATTERN.match(value))


def _keys_of(raw: dict[str, Any], section: str, label: str, found: list[Problem]) -> set[str]:
    """The section's keys; a key or (case-insensitive) name used twice is a problem."""
    first_key: dict[str, int] = {}
    first_name: dict[str, int] = {}
    for index, item in _entries(raw, section):
        key = item.get("key")
        if _valid_key(key):
            if key in first_key:
                found.append(
                    (
                        (section, index, "key"),
                        f"duplicate key '{key}' (also {section}[{first_key[key]}])",
                    )
                )
            else:
                first_key[key] = index
        name = item.get("name")
        if label and isinstance(name, str) and name.strip():
            folded = name.lower()
            if folded in first_name:
                found.append(
                    (
                        (section, index, "name"),
                        f"duplicate name '{name}' (also {section}[{first_name[folded]}]; "
                        f"{label} names are compared ignoring case)",
                    )
                )
            else:
                first_name[folded] = index
    return set(first_key)


def _check_links(raw: dict[str, Any]) -> list[Problem]:
    """References, duplicates and loops: what a single field's check cannot see."""
    found: list[Problem] = []
    areas = _keys_of(raw, "business_areas", "business area", found)
    teams = _keys_of(raw, "teams", "team", found)
    offerings = _keys_of(raw, "offerings", "offering", found)
    touchpoints = _keys_of(raw, "touchpoints", "touchpoint", found)
    journeys = _keys_of(raw, "journeys", "journey", found)
    enablers = _keys_of(raw, "enablers", "enabler", found)
    rounds = _keys_of(raw, "assessment_rounds", "", found)
    _keys_of(raw, "bottlenecks", "", found)
    open_rounds = [
        (index, item.get("key"))
        for index, item in _entries(raw, "assessment_rounds")
        if item.get("status") == "open"
    ]
    for index, _key in open_rounds[1:]:
        found.append(
            (
                ("assessment_rounds", index, "status"),
                f"round '{open_rounds[0][1]}' is open too; one round is open at a time",
            )
        )
    decisions = _keys_of(raw, "decisions", "", found)

    def ref(loc: tuple[Any, ...], value: Any, known: set[str], label: str) -> None:
        if _valid_key(value) and value not in known:
            found.append((loc, f"unknown {label} '{value}'"))

    def refs(loc: tuple[Any, ...], values: Any, known: set[str], label: str) -> None:
        if not isinstance(values, list):
            return
        seen: set[str] = set()
        for index, value in enumerate(values):
            ref((*loc, index), value, known, label)
            if _valid_key(value):
                if value in seen:
                    found.append(((*loc, index), f"{label} '{value}' is listed twice"))
                seen.add(value)

    for index, item in _entries(raw, "teams"):
        ref(("teams", index, "business_area"), item.get("business_area"), areas, "business area")
    loc: tuple[Any, ...]
    for index, item in _entries(raw, "offerings"):
        loc = ("offerings", index)
        ref((*loc, "business_area"), item.get("business_area"), areas, "business area")
        ref((*loc, "team"), item.get("team"), teams, "team")
    for index, item in _entries(raw, "journeys"):
        steps = item.get("steps")
        for step_index, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                loc = ("journeys", index, "steps", step_index)
                ref((*loc, "offering"), step.get("offering"), offerings, "offering")
                refs((*loc, "touchpoints"), step.get("touchpoints"), touchpoints, "touchpoint")
    for index, item in _entries(raw, "enablers"):
        ref(("enablers", index, "owner"), item.get("owner"), teams, "team")
        used_by = item.get("used_by")
        seen: set[str] = set()
        for use_index, use in enumerate(used_by if isinstance(used_by, list) else []):
            loc = ("enablers", index, "used_by", use_index)
            if isinstance(use, dict):
                use, loc = use.get("offering"), (*loc, "offering")
            ref(loc, use, offerings, "offering")
            if _valid_key(use):
                if use in seen:
                    found.append((loc, f"offering '{use}' is listed twice"))
                seen.add(use)
        tags = item.get("tags")
        tag_seen: set[str] = set()
        for tag_index, tag in enumerate(tags if isinstance(tags, list) else []):
            if isinstance(tag, str):
                if tag in tag_seen:
                    found.append(
                        (("enablers", index, "tags", tag_index), f"tag '{tag}' is listed twice")
                    )
                tag_seen.add(tag)
    assessed: dict[tuple[Any, ...], int] = {}
    for index, item in _entries(raw, "assessments"):
        loc = ("assessments", index)
        ref((*loc, "round"), item.get("round"), rounds, "assessment round")
        ref((*loc, "team"), item.get("team"), teams, "team")
        ref((*loc, "enabler"), item.get("enabler"), enablers, "enabler")
        triple = (item.get("round"), item.get("team"), item.get("enabler"))
        if all(_valid_key(part) for part in triple):
            if triple in assessed:
                found.append(
                    (
                        loc,
                        f"duplicate of assessments[{assessed[triple]}] "
                        "(one assessment per round, team and enabler)",
                    )
                )
            else:
                assessed[triple] = index
    for index, item in _entries(raw, "bottlenecks"):
        loc = ("bottlenecks", index)
        ref((*loc, "team"), item.get("team"), teams, "team")
        ref((*loc, "enabler"), item.get("enabler"), enablers, "enabler")
        ref((*loc, "offering"), item.get("offering"), offerings, "offering")
        ref((*loc, "journey"), item.get("journey"), journeys, "journey")
    supersedes: dict[str, str] = {}
    for index, item in _entries(raw, "decisions"):
        loc = ("decisions", index)
        refs((*loc, "enablers"), item.get("enablers"), enablers, "enabler")
        changes = item.get("changes")
        changed: set[str] = set()
        for change_index, change in enumerate(changes if isinstance(changes, list) else []):
            if not isinstance(change, dict):
                continue
            change_loc = (*loc, "changes", change_index)
            enabler = change.get("enabler")
            ref((*change_loc, "enabler"), enabler, enablers, "enabler")
            if _valid_key(enabler):
                if enabler in changed:
                    found.append(
                        (
                            (*change_loc, "enabler"),
                            f"enabler '{enabler}' has another change in this decision",
                        )
                    )
                changed.add(enabler)
            before, after = change.get("from"), change.get("to")
            if isinstance(before, str) and before == after:
                found.append(((*change_loc, "to"), f"is the same as from ('{after}')"))
        target = item.get("supersedes")
        ref((*loc, "supersedes"), target, decisions, "decision")
        if _valid_key(item.get("key")) and _valid_key(target) and target in decisions:
            supersedes.setdefault(item["key"], target)
    found += _supersede_loops(raw, supersedes)

    settings = raw.get("settings")
    if isinstance(settings, dict):
        for name, problem in Thresholds.problems(settings):
            if problem == "unknown setting":
                problem = f"unknown setting (the settings are {', '.join(THRESHOLD_NAMES)})"
            found.append((("settings", name), problem))
    return found


def _supersede_loops(raw: dict[str, Any], supersedes: dict[str, str]) -> list[Problem]:
    """One problem per loop of ``supersedes``, at the loop's first decision in the file."""
    position = {item.get("key"): index for index, item in _entries(raw, "decisions")}
    reported: set[str] = set()
    found: list[Problem] = []
    for start in supersedes:
        chain = [start]
        while chain[-1] in supersedes and supersedes[chain[-1]] not in chain:
            chain.append(supersedes[chain[-1]])
        if chain[-1] not in supersedes:
            continue
        loop = chain[chain.index(supersedes[chain[-1]]) :]
        if reported & set(loop):
            continue
        reported |= set(loop)
        first = min(loop, key=lambda key: position[key])
        at = loop.index(first)
        ordered = loop[at:] + loop[:at] + [first]
        found.append(
            (
                ("decisions", position[first], "supersedes"),
                f"supersedes chain loops: {' → '.join(ordered)}",
            )
        )
    return found


# --- importing -----------------------------------------------------------------------------


@dataclass
class SectionCount:
    created: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.removed


SUMMARY_SECTIONS = (
    "organisation",
    "business_areas",
    "teams",
    "offerings",
    "touchpoints",
    "journeys",
    "enablers",
    "usages",
    "assessment_rounds",
    "assessments",
    "bottlenecks",
    "decisions",
)


@dataclass
class ImportSummary:
    """What an import did: records created, updated and removed per section."""

    organisation: Organisation
    organisation_created: bool = False
    sections: dict[str, SectionCount] = field(
        default_factory=lambda: {name: SectionCount() for name in SUMMARY_SECTIONS}
    )

    @property
    def created(self) -> int:
        return sum(count.created for count in self.sections.values())

    @property
    def updated(self) -> int:
        return sum(count.updated for count in self.sections.values())

    @property
    def removed(self) -> int:
        return sum(count.removed for count in self.sections.values())

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def describe(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.removed} removed"

    def lines(self) -> list[str]:
        """A small table: one line per section."""
        rows = [f"{'section':<18} {'created':>7} {'updated':>7} {'removed':>7}"]
        for name, count in self.sections.items():
            rows.append(f"{name:<18} {count.created:>7} {count.updated:>7} {count.removed:>7}")
        return rows


_KEYED_SECTIONS: tuple[tuple[str, type[Keyed], str], ...] = (
    ("business_areas", BusinessArea, "business area"),
    ("teams", Team, "team"),
    ("offerings", Offering, "offering"),
    ("touchpoints", Touchpoint, "touchpoint"),
    ("journeys", Journey, "journey"),
    ("enablers", Enabler, "enabler"),
)

M = TypeVar("M", bound=models.Model)


def import_organisation(
    file: OrganisationFile,
    *,
    replace: bool = False,
    actor: Any = None,
    into: Organisation | None = None,
) -> ImportSummary:
    """Write a checked organisation file in one transaction.

    The organisation is created when its slug is new, else updated by key: every item
    the file lists is made to match it (fields it leaves out take their defaults), and
    nothing is duplicated. Without ``replace`` nothing else is touched; with it, items
    (flags, assessments and decisions included) whose key the file does not list are
    removed, while memberships, history and balance reports are kept. ``into`` (the
    upload page of one organisation) refuses a file for any other slug. Accepted
    decisions are recorded, never applied: the enablers' classifications in the file
    are already the current state. Raises :class:`OrganisationFileError` when the file
    cannot be written as it is (a name taken by an item the file does not list).
    """
    info = file.organisation
    if into is not None and info.slug != into.slug:
        # Same message whether or not that slug exists: a page of one organisation must
        # not tell whether another one does.
        raise OrganisationFileError(
            [
                f"organisation.slug: the file is for '{info.slug}'; only a file for "
                f"'{into.slug}' can be imported here"
            ]
        )
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(slug=info.slug).first()
        created = organisation is None
        if organisation is None:
            organisation = Organisation.objects.create(
                name=info.name,
                slug=info.slug,
                delivery_model=info.delivery_model,
                description=info.description,
                balance_settings=dict(file.settings),
            )
        importer = _Importer(file, organisation, replace=replace, actor=actor)
        problems = importer.check_names()
        if problems:
            raise OrganisationFileError(problems)
        summary = importer.run(created=created)
        if summary.changed:
            record_change(
                organisation=organisation,
                actor=importer.actor,
                summary=f"Organisation file imported: {summary.describe()}",
                url=organisation.get_absolute_url(),
            )
    return summary


class _Importer:
    """One import: looks up what exists once, then writes section by section."""

    def __init__(
        self, file: OrganisationFile, organisation: Organisation, *, replace: bool, actor: Any
    ) -> None:
        self.file = file
        self.org = organisation
        self.replace = replace
        authenticated = actor is not None and getattr(actor, "is_authenticated", False)
        self.actor = actor if authenticated else None
        self.summary = ImportSummary(organisation=organisation)
        # (section, pk) of every record created or updated, so that a record whose fields
        # and whose steps, usages or changes differ counts once.
        self.touched: set[tuple[str, int]] = set()
        self.existing: dict[str, dict[str, Any]] = {
            section: {obj.key: obj for obj in model.objects.for_org(organisation)}  # type: ignore[attr-defined]
            for section, model, _ in _KEYED_SECTIONS
        }
        self.existing["assessment_rounds"] = {
            obj.key: obj
            for obj in AssessmentRound.objects.for_org(organisation).order_by("sequence", "id")
        }
        self.existing["bottlenecks"] = {
            obj.key: obj for obj in BottleneckFlag.objects.for_org(organisation)
        }
        self.existing["decisions"] = {
            obj.key: obj for obj in Decision.objects.for_org(organisation)
        }
        self.parked: list[tuple[type[Keyed], Any]] = []

    def listed(self, section: str) -> set[str]:
        return {item.key for item in getattr(self.file, section)}

    def check_names(self) -> list[str]:
        """Names are unique per organisation (ignoring case): a name may only go to another
        key when the item holding it now is renamed or removed by this import too."""
        problems: list[str] = []
        for section, model, label in _KEYED_SECTIONS:
            items = getattr(self.file, section)
            wanted = {item.name.lower(): (index, item.key) for index, item in enumerate(items)}
            listed = self.listed(section)
            for obj in self.existing[section].values():
                holder = wanted.get(obj.name.lower())
                if holder is None or holder[1] == obj.key:
                    continue
                if obj.key in listed or self.replace:
                    self.parked.append((model, obj))
                else:
                    problems.append(
                        f"{section}[{holder[0]}].name: '{obj.name}' is the name of the "
                        f"{label} '{obj.key}', which the file does not list"
                    )
        # One round open at a time, counting the rounds kept from before the import.
        opening = [
            (index, item.key)
            for index, item in enumerate(self.file.assessment_rounds)
            if item.status == "open"
        ]
        if opening and not self.replace:
            listed = self.listed("assessment_rounds")
            for obj in self.existing["assessment_rounds"].values():
                if obj.status == "open" and obj.key not in listed:
                    index, key = opening[0]
                    problems.append(
                        f"assessment_rounds[{index}].status: round '{obj.key}' is open and the "
                        f"file does not list it; close it before opening '{key}' (one round "
                        "is open at a time)"
                    )
        return problems

    def run(self, *, created: bool) -> ImportSummary:
        self.summary.organisation_created = created
        if created:
            self.summary.sections["organisation"].created = 1
        else:
            self._organisation()
        for model, obj in self.parked:
            # Park the name out of the way; the item gets its name from the file (or is
            # removed) below. update() records no history for this passing state.
            parked = f"~import~{obj.pk}"
            model.objects.for_org(self.org).filter(pk=obj.pk).update(name=parked)  # type: ignore[attr-defined]
            if obj.key in self.listed(_section_of(model)):
                obj.name = parked
        areas = self._areas()
        teams = self._teams(areas)
        offerings = self._offerings(areas, teams)
        touchpoints = self._touchpoints()
        journeys = self._journeys(offerings, touchpoints)
        enablers = self._enablers(teams, offerings)
        rounds = self._rounds()
        self._assessments(rounds, teams, enablers)
        self._flags(teams, enablers, offerings, journeys)
        self._decisions(enablers)
        if self.replace:
            self._remove()
        return self.summary

    # -- writing one record

    def _mark(self, section: str, obj: models.Model, *, created: bool = False) -> None:
        """Count ``obj`` as created or updated in ``section``, once."""
        if (section, obj.pk) in self.touched:
            return
        self.touched.add((section, obj.pk))
        counts = self.summary.sections[section]
        if created:
            counts.created += 1
        else:
            counts.updated += 1

    def _save(
        self,
        section: str,
        obj: M | None,
        make: Callable[[], M],
        values: dict[str, Any],
        *,
        tracked: bool = False,
    ) -> M:
        """Create a record with ``make``, or update ``obj`` where it differs from ``values``."""
        created = obj is None
        if obj is None:
            obj = make()
            changed = list(values)
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if not changed:
                return obj
            if hasattr(obj, "version"):
                # Someone editing it in the browser is told it changed meanwhile.
                obj.version += 1
        for name in changed:
            setattr(obj, name, values[name])
        if tracked:
            obj._history_user = self.actor  # type: ignore[attr-defined]
        obj.save()
        self._mark(section, obj, created=created)
        return obj

    def _keyed(
        self,
        section: str,
        model: type[M],
        values_of: Callable[[Any], dict[str, Any]],
        *,
        tracked: bool = False,
        on_create: dict[str, Any] | None = None,
    ) -> dict[str, M]:
        saved: dict[str, M] = {}
        for item in getattr(self.file, section):
            saved[item.key] = self._save(
                section,
                self.existing[section].get(item.key),
                partial(model, organisation=self.org, key=item.key, **(on_create or {})),
                values_of(item),
                tracked=tracked,
            )
        return saved

    # -- sections, in the order they depend on each other

    def _organisation(self) -> None:
        info = self.file.organisation
        settings = dict(self.file.settings)
        if not self.replace:
            # Without replace a file only adds and updates, settings included.
            settings = {**(self.org.balance_settings or {}), **settings}
        values = {
            "name": info.name,
            "delivery_model": info.delivery_model,
            "description": info.description,
            "balance_settings": settings,
        }
        changed = [name for name, value in values.items() if getattr(self.org, name) != value]
        if changed:
            for name in changed:
                setattr(self.org, name, values[name])
            self.org.save(update_fields=changed)
            self.summary.sections["organisation"].updated = 1

    def _areas(self) -> dict[str, BusinessArea]:
        return self._keyed(
            "business_areas",
            BusinessArea,
            lambda item: {"name": item.name, "description": item.description},
        )

    def _teams(self, areas: dict[str, BusinessArea]) -> dict[str, Team]:
        return self._keyed(
            "teams",
            Team,
            lambda item: {
                "name": item.name,
                "kind": item.kind,
                "business_area_id": _pk(areas, item.business_area),
                "description": item.description,
            },
        )

    def _offerings(
        self, areas: dict[str, BusinessArea], teams: dict[str, Team]
    ) -> dict[str, Offering]:
        return self._keyed(
            "offerings",
            Offering,
            lambda item: {
                "name": item.name,
                "kind": item.kind,
                "business_area_id": _pk(areas, item.business_area),
                "team_id": _pk(teams, item.team),
                "description": item.description,
            },
        )

    def _touchpoints(self) -> dict[str, Touchpoint]:
        return self._keyed(
            "touchpoints",
            Touchpoint,
            lambda item: {"name": item.name, "description": item.description},
        )

    def _journeys(
        self, offerings: dict[str, Offering], touchpoints: dict[str, Touchpoint]
    ) -> dict[str, Journey]:
        journeys = self._keyed(
            "journeys",
            Journey,
            lambda item: {
                "name": item.name,
                "segment": item.segment,
                "description": item.description,
            },
        )
        steps_of: dict[int, list[JourneyStep]] = defaultdict(list)
        for step in (
            JourneyStep.objects.for_org(self.org)
            .prefetch_related("touchpoints")
            .order_by("journey_id", "position")
        ):
            steps_of[step.journey_id].append(step)
        for item in self.file.journeys:
            journey = journeys[item.key]
            wanted = [
                (
                    position,
                    step.name,
                    offerings[step.offering].pk,
                    sorted(touchpoints[key].pk for key in step.touchpoints),
                )
                for position, step in enumerate(item.steps, start=1)
            ]
            current = [
                (s.position, s.name, s.offering_id, sorted(tp.pk for tp in s.touchpoints.all()))
                for s in steps_of.get(journey.pk, [])
            ]
            if current == wanted:
                continue
            # Steps have no keys: the journey's steps are replaced, in the file's order.
            JourneyStep.objects.for_org(self.org).filter(journey=journey).delete()
            for position, name, offering_id, touchpoint_ids in wanted:
                step = JourneyStep.objects.create(
                    organisation=self.org,
                    journey=journey,
                    position=position,
                    name=name,
                    offering_id=offering_id,
                )
                step.touchpoints.set(touchpoint_ids)
            self._mark("journeys", journey)
        return journeys

    def _enablers(
        self, teams: dict[str, Team], offerings: dict[str, Offering]
    ) -> dict[str, Enabler]:
        enablers = self._keyed(
            "enablers",
            Enabler,
            lambda item: {
                "name": item.name,
                "kind": item.kind,
                "capability": item.capability,
                "classification": item.classification,
                "lifecycle": item.lifecycle,
                "owner_team_id": _pk(teams, item.owner),
                "description": item.description,
                "tags": list(item.tags),
            },
            tracked=True,
            on_create={"created_by": self.actor},
        )
        usages = {
            (usage.enabler_id, usage.offering_id): usage
            for usage in EnablerUsage.objects.for_org(self.org)
        }
        listed: set[tuple[int, int]] = set()
        for item in self.file.enablers:
            enabler = enablers[item.key]
            for use in item.used_by:
                pair = (enabler.pk, offerings[use.offering].pk)
                listed.add(pair)
                self._save(
                    "usages",
                    usages.get(pair),
                    partial(
                        EnablerUsage, organisation=self.org, enabler=enabler, offering_id=pair[1]
                    ),
                    {"criticality": use.criticality},
                )
        if self.replace:
            kept = {enabler.pk for enabler in enablers.values()}
            for pair, usage in usages.items():
                # Usages of enablers the file drops go with those enablers.
                if pair[0] in kept and pair not in listed:
                    usage.delete()
                    self.summary.sections["usages"].removed += 1
        return enablers

    def _rounds(self) -> dict[str, AssessmentRound]:
        existing = self.existing["assessment_rounds"]
        order = self._round_order(list(existing))
        sequence = {key: position for position, key in enumerate(order, start=1)}
        rounds: dict[str, AssessmentRound] = {}
        # Closed rounds first, so a round the file closes is closed before another opens.
        for item in sorted(self.file.assessment_rounds, key=lambda r: r.status == "open"):
            rounds[item.key] = self._save(
                "assessment_rounds",
                existing.get(item.key),
                partial(AssessmentRound, organisation=self.org, key=item.key),
                {
                    "name": item.name,
                    "status": item.status,
                    "opened_on": item.opened_on,
                    "sequence": sequence[item.key],
                },
            )
        if not self.replace:
            for key, obj in existing.items():
                if key not in rounds and obj.sequence != sequence[key]:
                    obj.sequence = sequence[key]
                    obj.save(update_fields=["sequence"])
                    self._mark("assessment_rounds", obj)
        return rounds

    def _round_order(self, existing: list[str]) -> list[str]:
        """Every round's key, oldest first: the file's rounds in the file's order, the
        others (kept without replace) where they were."""
        listed = [item.key for item in self.file.assessment_rounds]
        if self.replace:
            return listed
        merged = list(existing)
        # Listed rounds that exist take the file's order among the places they hold.
        slots = [index for index, key in enumerate(merged) if key in listed]
        for index, key in zip(slots, [k for k in listed if k in existing], strict=True):
            merged[index] = key
        # A new round goes just after the round the file lists before it; the file's
        # first round, when new, goes before the first listed round that exists, or
        # last (newest) when none exists.
        previous: str | None = None
        for key in listed:
            if key not in merged:
                if previous is not None:
                    merged.insert(merged.index(previous) + 1, key)
                else:
                    following = next((k for k in listed if k in existing), None)
                    merged.insert(merged.index(following) if following else len(merged), key)
            previous = key
        return merged

    def _assessments(
        self,
        rounds: dict[str, AssessmentRound],
        teams: dict[str, Team],
        enablers: dict[str, Enabler],
    ) -> None:
        existing = {
            (obj.round_id, obj.team_id, obj.enabler_id): obj
            for obj in Assessment.objects.for_org(self.org)
        }
        listed: set[tuple[int, int, int]] = set()
        for item in self.file.assessments:
            triple = (rounds[item.round].pk, teams[item.team].pk, enablers[item.enabler].pk)
            listed.add(triple)
            self._save(
                "assessments",
                existing.get(triple),
                partial(
                    Assessment,
                    organisation=self.org,
                    round_id=triple[0],
                    team_id=triple[1],
                    enabler_id=triple[2],
                ),
                {
                    "fit": item.fit,
                    "pace": item.pace,
                    "preferred": item.preferred,
                    "comment": item.comment,
                },
            )
        if self.replace:
            for triple, obj in existing.items():
                if triple not in listed:
                    obj.delete()
                    self.summary.sections["assessments"].removed += 1

    def _flags(
        self,
        teams: dict[str, Team],
        enablers: dict[str, Enabler],
        offerings: dict[str, Offering],
        journeys: dict[str, Journey],
    ) -> None:
        for item in self.file.bottlenecks:
            self._save(
                "bottlenecks",
                self.existing["bottlenecks"].get(item.key),
                partial(BottleneckFlag, organisation=self.org, key=item.key),
                {
                    "team_id": teams[item.team].pk,
                    "enabler_id": enablers[item.enabler].pk,
                    "offering_id": _pk(offerings, item.offering),
                    "journey_id": _pk(journeys, item.journey),
                    "severity": item.severity,
                    "status": item.status,
                    "summary": item.summary,
                    "details": item.details,
                },
                tracked=True,
            )

    def _decisions(self, enablers: dict[str, Enabler]) -> None:
        existing: dict[str, Decision] = self.existing["decisions"]
        # Existing decisions keep their numbers; new ones follow the highest, in file order.
        next_number = max((obj.number for obj in existing.values()), default=0) + 1
        changes_of: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for change in DecisionChange.objects.for_org(self.org).order_by("position", "id"):
            changes_of[change.decision_id].append(
                (change.enabler_id, change.from_classification, change.to_classification)
            )
        enablers_of: dict[int, set[int]] = defaultdict(set)
        for decision_id, enabler_id in Decision.enablers.through.objects.filter(
            decision__organisation=self.org
        ).values_list("decision_id", "enabler_id"):
            enablers_of[decision_id].add(enabler_id)

        decisions: dict[str, Decision] = {}
        for item in self.file.decisions:
            obj = existing.get(item.key)
            number = obj.number if obj is not None else next_number
            if obj is None:
                next_number += 1
            values: dict[str, Any] = {
                "title": item.title,
                "status": item.status,
                "context": item.context,
                "decision": item.decision,
                "consequences": item.consequences,
                "options": item.options,
                "decided_on": item.decided_on,
                "review_on": item.review_on,
            }
            target = decisions.get(item.supersedes or "") or existing.get(item.supersedes or "")
            if target is not None or item.supersedes is None:
                values["supersedes_id"] = target.pk if target is not None else None
            # else: a decision the file lists later and that is new; linked below.
            decision = self._save(
                "decisions",
                obj,
                partial(Decision, organisation=self.org, key=item.key, number=number),
                values,
                tracked=True,
            )
            decisions[item.key] = decision
            wanted_enablers = {enablers[key].pk for key in item.enablers}
            if enablers_of.get(decision.pk, set()) != wanted_enablers:
                decision._history_user = self.actor  # type: ignore[attr-defined]
                decision.enablers.set(wanted_enablers)
                self._mark("decisions", decision)
            wanted_changes = [
                (enablers[change.enabler].pk, change.from_, change.to) for change in item.changes
            ]
            if changes_of.get(decision.pk, []) != wanted_changes:
                # Recorded only: an accepted decision's changes are already the enablers'
                # classifications in the file, so they are not applied again.
                DecisionChange.objects.for_org(self.org).filter(decision=decision).delete()
                DecisionChange.objects.bulk_create(
                    DecisionChange(
                        organisation=self.org,
                        decision=decision,
                        enabler_id=enabler_id,
                        from_classification=before,
                        to_classification=after,
                        position=position,
                    )
                    for position, (enabler_id, before, after) in enumerate(wanted_changes)
                )
                self._mark("decisions", decision)
        for item in self.file.decisions:
            decision = decisions[item.key]
            if item.supersedes and decision.supersedes_id != decisions[item.supersedes].pk:
                decision.supersedes_id = decisions[item.supersedes].pk
                decision._history_user = self.actor  # type: ignore[attr-defined]
                decision.save(update_fields=["supersedes"])
                self._mark("decisions", decision)

    def _remove(self) -> None:
        """Remove what the file does not list (replace), the most dependent first."""
        for section in ("decisions", "bottlenecks", "assessment_rounds") + tuple(
            section for section, _, _ in reversed(_KEYED_SECTIONS)
        ):
            listed = self.listed(section)
            for key, obj in self.existing[section].items():
                if key in listed:
                    continue
                # History (enablers, flags, decisions) names who removed it.
                obj._history_user = self.actor
                obj.delete()
                self.summary.sections[section].removed += 1


def _section_of(model: type[models.Model]) -> str:
    return next(section for section, kind, _ in _KEYED_SECTIONS if kind is model)


def _pk(objects: dict[str, Any], key: str | None) -> int | None:
    return objects[key].pk if key else None


# --- exporting -----------------------------------------------------------------------------


def export_organisation(organisation: Organisation, *, fmt: str = "yaml") -> str:
    """The organisation as a file (``yaml`` or ``json``), in a fixed order.

    Sections in the order of the format; items by key, except journey steps (in order),
    assessment rounds (oldest first) and decisions (by number). Optional fields that are
    empty or at their default are left out, so the same organisation always gives the
    same text, and importing that text elsewhere gives it back.
    """
    data = organisation_as_data(organisation)
    if fmt == "json":
        return json.dumps(_dates_as_text(data), indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown format {fmt!r}: use yaml or json")


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _put(target: dict[str, Any], name: str, value: Any, default: Any = "") -> None:
    if value is not None and value != default:
        target[name] = value


def organisation_as_data(organisation: Organisation) -> dict[str, Any]:
    """The organisation in the file's structure, as plain data (dates as dates)."""
    org = organisation
    info: dict[str, Any] = {"name": org.name, "slug": org.slug}
    _put(info, "delivery_model", org.delivery_model)
    _put(info, "description", org.description)

    def described(obj: Keyed, fields: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {"key": obj.key, "name": obj.name}
        for name, value in fields.items():
            _put(item, name, value)
        _put(item, "description", obj.description)
        return item

    areas = BusinessArea.objects.for_org(org).order_by("key")
    teams = Team.objects.for_org(org).select_related("business_area").order_by("key")
    offerings = (
        Offering.objects.for_org(org).select_related("business_area", "team").order_by("key")
    )
    touchpoints = Touchpoint.objects.for_org(org).order_by("key")
    journeys = Journey.objects.for_org(org).order_by("key")
    steps_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for step in (
        JourneyStep.objects.for_org(org)
        .select_related("offering")
        .prefetch_related("touchpoints")
        .order_by("journey_id", "position")
    ):
        entry: dict[str, Any] = {"name": step.name, "offering": step.offering.key}
        _put(entry, "touchpoints", sorted(tp.key for tp in step.touchpoints.all()), [])
        steps_of[step.journey_id].append(entry)
    uses_of: dict[int, list[Any]] = defaultdict(list)
    for usage in (
        EnablerUsage.objects.for_org(org).select_related("offering").order_by("offering__key")
    ):
        uses_of[usage.enabler_id].append(
            usage.offering.key
            if usage.criticality == Criticality.MEDIUM
            else {"offering": usage.offering.key, "criticality": usage.criticality}
        )
    enablers = Enabler.objects.for_org(org).select_related("owner_team").order_by("key")

    def enabler_data(enabler: Enabler) -> dict[str, Any]:
        item: dict[str, Any] = {"key": enabler.key, "name": enabler.name, "kind": enabler.kind}
        _put(item, "capability", enabler.capability)
        item["classification"] = enabler.classification
        _put(item, "lifecycle", enabler.lifecycle, Lifecycle.ACTIVE)
        _put(item, "owner", enabler.owner_team.key if enabler.owner_team else None)
        _put(item, "description", enabler.description)
        _put(item, "tags", list(enabler.tags or []), [])
        _put(item, "used_by", uses_of.get(enabler.pk, []), [])
        return item

    rounds = list(AssessmentRound.objects.for_org(org).order_by("sequence", "id"))
    round_rank = {r.pk: index for index, r in enumerate(rounds)}
    assessments = sorted(
        Assessment.objects.for_org(org).select_related("round", "team", "enabler"),
        key=lambda a: (round_rank[a.round_id], a.team.key, a.enabler.key),
    )
    flags = (
        BottleneckFlag.objects.for_org(org)
        .select_related("team", "enabler", "offering", "journey")
        .order_by("key")
    )
    decisions = list(
        Decision.objects.for_org(org)
        .select_related("supersedes")
        .prefetch_related("enablers", "changes__enabler")
        .order_by("number")
    )

    data: dict[str, Any] = {"format": FORMAT, "organisation": info}
    data["business_areas"] = [described(area, {}) for area in areas]
    data["teams"] = [
        described(
            team,
            {
                "kind": team.kind,
                "business_area": team.business_area.key if team.business_area else None,
            },
        )
        for team in teams
    ]
    data["offerings"] = [
        described(
            offering,
            {
                "kind": offering.kind,
                "business_area": offering.business_area.key if offering.business_area else None,
                "team": offering.team.key if offering.team else None,
            },
        )
        for offering in offerings
    ]
    data["touchpoints"] = [described(tp, {}) for tp in touchpoints]
    data["journeys"] = [
        {**described(journey, {"segment": journey.segment}), "steps": steps_of.get(journey.pk, [])}
        for journey in journeys
    ]
    data["enablers"] = [enabler_data(enabler) for enabler in enablers]
    data["assessment_rounds"] = []
    for assessment_round in rounds:
        entry = {
            "key": assessment_round.key,
            "name": assessment_round.name,
            "status": assessment_round.status,
        }
        _put(entry, "opened_on", assessment_round.opened_on, None)
        data["assessment_rounds"].append(entry)
    data["assessments"] = []
    for assessment in assessments:
        entry = {
            "round": assessment.round.key,
            "team": assessment.team.key,
            "enabler": assessment.enabler.key,
            "fit": assessment.fit,
            "pace": assessment.pace,
        }
        _put(entry, "preferred", assessment.preferred)
        _put(entry, "comment", assessment.comment)
        data["assessments"].append(entry)
    data["bottlenecks"] = []
    for flag in flags:
        entry = {"key": flag.key, "team": flag.team.key, "enabler": flag.enabler.key}
        _put(entry, "offering", flag.offering.key if flag.offering else None)
        _put(entry, "journey", flag.journey.key if flag.journey else None)
        entry["severity"] = flag.severity
        _put(entry, "status", flag.status, FlagStatus.OPEN)
        entry["summary"] = flag.summary
        _put(entry, "details", flag.details)
        data["bottlenecks"].append(entry)
    data["decisions"] = []
    for decision in decisions:
        entry = {"key": decision.key, "title": decision.title, "status": decision.status}
        _put(entry, "enablers", sorted(e.key for e in decision.enablers.all()), [])
        changes = [
            {
                "enabler": change.enabler.key,
                "from": change.from_classification,
                "to": change.to_classification,
            }
            for change in decision.changes.all()
        ]
        _put(entry, "changes", changes, [])
        for name in ("context", "decision", "consequences", "options"):
            _put(entry, name, getattr(decision, name))
        _put(entry, "decided_on", decision.decided_on, None)
        _put(entry, "review_on", decision.review_on, None)
        _put(entry, "supersedes", decision.supersedes.key if decision.supersedes else None)
        data["decisions"].append(entry)
    settings = org.balance_settings or {}
    ordered = {name: settings[name] for name in THRESHOLD_NAMES if name in settings}
    _put(data, "settings", ordered, {})
    return data
