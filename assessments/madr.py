"""Decisions as Markdown: the register written as MADR 4 files, and read back from MADR 2, 3 or 4
or the classic Nygard layout.

Pure Python (and PyYAML): no Django, no database. Both sides share :class:`DecisionRecord`.

Writing (:func:`to_markdown`, :func:`filename_for`, :func:`register_to_markdown`) always gives
MADR 4: YAML front matter (``status``, ``date``, ``decision-makers`` and our own keys ``number``,
``enablers``, ``changes``, ``supersedes``, ``review-on``, ``merge``; empty ones are left out),
the title, then *Context and Problem Statement*, *Considered Options*, *Decision Outcome* and
``### Consequences`` under it.

Reading (:func:`from_markdown`, :func:`register_from_markdown`) takes any of the common layouts:

- MADR 3 and 4: front matter (``deciders`` is MADR 3's name for ``decision-makers``).
- MADR 2: ``* Status: …``, ``* Deciders: …``, ``* Date: …`` lines under the title.
- Nygard: ``Date: …`` under the title, and ``## Status``, ``## Context``, ``## Decision``,
  ``## Consequences``.

A ``## …`` heading starts a section only when its name is one we know (below); any other
heading, and anything inside a fenced code block, is part of the text of the section it is in.
Whole-line HTML comments (MADR's ``<!-- This is an optional element … -->``) are dropped.
Sections that have no field of their own are folded into one, under their own heading, with
the headings inside them moved one level down so they still read as parts of it:

- *Decision Drivers* → ``context``, as ``### Decision Drivers``; text between the title and
  the first section (MADR 2's *Technical Story*, say) starts ``context``.
- *Pros and Cons of the Options* → ``options``, as ``### Pros and Cons of the Options``.
- Under *Decision Outcome*, everything after ``### Consequences`` (including what follows
  it, such as MADR 4's ``### Confirmation``) → ``consequences``; MADR 2 and 3's
  ``### Positive Consequences`` and ``### Negative Consequences`` (and what follows them)
  too, as ``#### Positive Consequences`` and so on; a ``## Consequences`` section as well.
- *More Information*, *Validation*, *Confirmation* and *Links* → ``consequences``, as
  ``#### More Information`` and so on (they come after the decision and say what follows
  from it: how it is checked, when to revisit it, what it relates to).

Round trip: ``from_markdown(to_markdown(record)) == record`` for a record whose title and
section bodies carry no leading or trailing whitespace (both sides strip them), whose title
does not itself start with a decision number (``7. …``, ``DEC-007: …``), and whose text has no
line that reads as one of the section headings above, no unclosed code fence and no
whole-line HTML comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn

import yaml

__all__ = [
    "CLASSIFICATIONS",
    "STATUSES",
    "Change",
    "DecisionRecord",
    "MarkdownError",
    "filename_for",
    "format_number",
    "from_markdown",
    "register_from_markdown",
    "register_to_markdown",
    "to_markdown",
]

CLASSIFICATIONS = ("repeatable", "common", "independent")
STATUSES = ("proposed", "accepted", "rejected", "superseded")


@dataclass(frozen=True)
class Change:
    """A classification change a decision carries for one enabler (from → to)."""

    enabler: str
    from_classification: str
    to_classification: str


@dataclass(frozen=True)
class DecisionRecord:
    """One decision of the register, as it is written to and read from a Markdown file."""

    number: int | None
    title: str
    status: str
    date: str | None
    decision_makers: tuple[str, ...]
    context: str
    options: str
    decision: str
    consequences: str
    enablers: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    supersedes: int | None = None
    review_on: str | None = None
    merge_into: str | None = None
    merge_from: tuple[str, ...] = ()


class MarkdownError(ValueError):
    """A decision file that cannot be read; ``errors`` lists every problem, one per line."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[str, ...] = tuple(errors) or (message,)


def format_number(number: int) -> str:
    """The register's name for a decision number: ``7`` → ``DEC-007``."""
    return f"DEC-{number:03d}"


# --------------------------------------------------------------------------- writing


def to_markdown(record: DecisionRecord) -> str:
    """Write one decision as a MADR 4 file (front matter, title, four sections)."""
    meta: dict[str, Any] = {"status": record.status}
    if record.date:
        meta["date"] = _date_for_yaml(record.date)
    if record.decision_makers:
        meta["decision-makers"] = list(record.decision_makers)
    if record.number is not None:
        meta["number"] = format_number(record.number)
    if record.enablers:
        meta["enablers"] = list(record.enablers)
    if record.changes:
        meta["changes"] = [
            {"enabler": c.enabler, "from": c.from_classification, "to": c.to_classification}
            for c in record.changes
        ]
    if record.supersedes is not None:
        meta["supersedes"] = format_number(record.supersedes)
    if record.review_on:
        meta["review-on"] = _date_for_yaml(record.review_on)
    if record.merge_into or record.merge_from:
        merge: dict[str, Any] = {}
        if record.merge_into:
            merge["into"] = record.merge_into
        if record.merge_from:
            merge["from"] = list(record.merge_from)
        meta["merge"] = merge
    # Lists of plain values in flow style ([a, b]), the rest in block style; PyYAML's
    # default_flow_style=None would also put a mapping of plain values all on one line
    # ({status: proposed}), so a front matter with no list or mapping in it is all block.
    nested = any(isinstance(value, list | dict) for value in meta.values())
    front = yaml.safe_dump(
        meta,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None if nested else False,
        width=100,
    )
    # A title is one line; a stray line break would end the heading early.
    title = " ".join(record.title.splitlines()).strip()
    parts = [f"---\n{front}---\n# {title}\n"]
    for heading, body in (
        ("## Context and Problem Statement", record.context),
        ("## Considered Options", record.options),
        ("## Decision Outcome", record.decision),
        ("### Consequences", record.consequences),
    ):
        body = body.strip()
        parts.append(f"{heading}\n\n{body}\n" if body else f"{heading}\n")
    return "\n".join(parts)


def filename_for(record: DecisionRecord) -> str:
    """The file name of a decision: ``dec-007-make-identity-repeatable.md``.

    A decision without a number gets ``decision-<slug>.md``, which names no number, so that
    reading the file back does not take digits from the title for one.
    """
    slug = _slug(record.title)
    if record.number is None:
        return f"decision-{slug}.md"
    return f"dec-{record.number:03d}-{slug}.md"


def register_to_markdown(records: Iterable[DecisionRecord]) -> list[tuple[str, str]]:
    """Write a register: ``(filename, text)`` per decision, in number order (unnumbered last).

    Two decisions that would share a file name get ``-2``, ``-3``… on the later ones.
    """
    ordered = sorted(records, key=lambda r: (r.number is None, r.number or 0))
    files: list[tuple[str, str]] = []
    used: set[str] = set()
    for record in ordered:
        name = filename_for(record)
        stem, count = name.removesuffix(".md"), 1
        while name in used:
            count += 1
            name = f"{stem}-{count}.md"
        used.add(name)
        files.append((name, to_markdown(record)))
    return files


def _date_for_yaml(value: str) -> date | str:
    # A date object is written bare (2026-11-25), as MADR does; a string would be quoted.
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def _slug(title: str, max_length: int = 60) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # Cut at a word boundary when there is one.
        if slug[max_length] != "-" and "-" in cut:
            cut = cut.rsplit("-", 1)[0]
        slug = cut.strip("-")
    return slug or "decision"


# --------------------------------------------------------------------------- reading

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
_COMMENT = re.compile(r"<!--.*?-->")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_META_LINE = re.compile(
    r"^\s*(?:[*+-]\s+)?[*_]*(?P<key>status|deciders|decision[- ]makers|date)[*_]*\s*:[*_]*"
    r"\s*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)
_TITLE_NUMBER = (
    # "ADR-0007: Title", "DEC-007 Title", "adr_7. Title"
    re.compile(r"^(?:adr|dec)[-_]?0*(\d+)(?:\s*[:.–—-]\s*|\s+)(?P<title>\S.*)$", re.IGNORECASE),
    # "1. Record architecture decisions" (Nygard, adr-tools)
    re.compile(r"^0*(\d+)\.\s+(?P<title>\S.*)$"),
    # "0007 - Title", "7: Title"
    re.compile(r"^0*(\d+)\s*[:–—-]\s+(?P<title>\S.*)$"),
)
_FILE_NUMBER = re.compile(r"^(?:(?:adr|dec)[-_]?)?0*(\d+)(?=[-_.]|$)", re.IGNORECASE)
_NUMBER_VALUE = re.compile(r"\s*(?:[A-Za-z]+[-_ ]?)?0*(\d+)\s*")
_RELATION = re.compile(
    r"\b(superseded\s+by|supersedes)\b[\s:]*(\[[^\]]*\](?:\([^)]*\))?|[^\s,;]+)?",
    re.IGNORECASE,
)
_LINK = re.compile(r"\[[^\]]*\](?:\([^)]*\))?")
_RELATION_LINE = re.compile(r"^\s*(?:[*+-]\s+)?(supersedes|superseded\s+by)\b", re.IGNORECASE)

_SECTIONS = {
    "context and problem statement": "context",
    "context and problem": "context",
    "problem statement": "context",
    "context": "context",
    "decision drivers": "drivers",
    "considered options": "options",
    "options considered": "options",
    "considered alternatives": "options",
    "alternatives considered": "options",
    "options": "options",
    "pros and cons of the options": "pros_and_cons",
    "pros and cons": "pros_and_cons",
    "decision outcome": "decision",
    "decision": "decision",
    "consequences": "consequences",
    "more information": "more",
    "validation": "more",
    "confirmation": "more",
    "links": "more",
    "status": "status",
}
_CONSEQUENCE_HEADINGS = {
    "consequences",
    "positive consequences",
    "negative consequences",
    "neutral consequences",
}
# Longest first, so "in progress" is tried before "in".
_STATUS_WORDS = sorted(
    {
        **dict.fromkeys(
            ["accepted", "approved", "done", "adopted", "agreed", "decided", "implemented"],
            "accepted",
        ),
        **dict.fromkeys(
            ["proposed", "draft", "open", "pending", "in progress", "under review", "rfc"],
            "proposed",
        ),
        **dict.fromkeys(["rejected", "declined", "refused", "withdrawn"], "rejected"),
        **dict.fromkeys(["superseded", "deprecated", "replaced", "obsolete"], "superseded"),
    }.items(),
    key=lambda item: -len(item[0]),
)

_Line = tuple[int, str]  # (line number in the file, text)
_Path = tuple[str | int, ...]
_LineOf = Callable[..., int | None]  # front matter path → file line


@dataclass
class _Problems:
    filename: str
    messages: list[str] = field(default_factory=list)

    def add(self, message: str, line: int | None = None) -> None:
        self.messages.append(_where(self.filename, line) + message)

    def fail(self, message: str, line: int | None = None) -> NoReturn:
        self.add(message, line)
        self.raise_if_any()
        raise AssertionError  # pragma: no cover - raise_if_any has just raised

    def raise_if_any(self) -> None:
        if self.messages:
            raise MarkdownError("\n".join(self.messages), self.messages)


@dataclass
class _Section:
    kind: str
    heading: str
    lines: list[_Line] = field(default_factory=list)


def _where(filename: str, line: int | None) -> str:
    parts = [filename] if filename else []
    if line is not None:
        parts.append(f"line {line}")
    return ", ".join(parts) + ": " if parts else ""


def from_markdown(text: str, *, filename: str = "") -> DecisionRecord:
    """Read one decision file (MADR 2, 3 or 4, or Nygard); see the module notes for the rules.

    The number comes from the front matter's ``number`` (``DEC-007`` or ``7``), else from the
    title (``1. Title``, ``ADR-0007: Title``), else from ``filename`` (``0007-….md``,
    ``dec-007-….md``), else it is None. Raises :class:`MarkdownError` naming the file and line
    of every problem found.
    """
    problems = _Problems(filename)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta, meta_lines, start = _read_front_matter(lines, problems)

    def meta_line(*path: str | int) -> int | None:
        return meta_lines.get(path)

    title, title_line, content = _read_title(lines, start, problems)
    sections = _read_sections(content)
    preamble, metadata = _read_preamble(sections[0].lines)

    # Number and title.
    number: int | None = None
    if meta.get("number") is not None:
        number = _number_value(meta["number"], "number", meta_line("number"), problems)
    for pattern in _TITLE_NUMBER:
        match = pattern.match(title)
        if match:
            title = match["title"].strip()
            if number is None:
                number = int(match[1])
            break
    if number is None:
        number = _number_from_filename(filename)
    if title_line is not None and not title:
        problems.add("the title is empty", title_line)

    # Status and what it supersedes.
    status: str | None = None
    supersedes: int | None = None
    status_sections = [line for s in sections if s.kind == "status" for line in s.lines]
    if "status" in meta:
        value = meta["status"]
        if isinstance(value, str):
            status, supersedes = _read_status([(meta_line("status") or 0, value)], problems)
        elif value is not None:
            problems.add(
                "status must be one word: proposed, accepted, rejected or superseded",
                meta_line("status"),
            )
    elif status_sections:
        status, supersedes = _read_status(status_sections, problems)
    elif "status" in metadata:
        value, line = metadata["status"]
        status, supersedes = _read_status([(line, value)], problems)
    for section in sections:
        if section.kind == "more" and supersedes is None:
            supersedes = _supersedes_in(section.lines)
    if meta.get("supersedes") is not None:
        supersedes = _number_value(
            meta["supersedes"], "supersedes", meta_line("supersedes"), problems
        )

    # Dates.
    decided_on: str | None = None
    if "date" in meta:
        decided_on = _date_value(meta["date"], "date", meta_line("date"), problems)
    elif "date" in metadata:
        value, line = metadata["date"]
        decided_on = _date_value(value or None, "date", line, problems)
    review_key = "review-on" if "review-on" in meta else "review_on"
    review_on = _date_value(meta.get(review_key), review_key, meta_line(review_key), problems)

    # People, enablers, changes, merge.
    makers_key = next(
        (k for k in ("decision-makers", "deciders", "decision_makers") if k in meta), None
    )
    if makers_key:
        makers = _names(meta[makers_key], makers_key, meta_line(makers_key), problems)
    elif "decision-makers" in metadata:
        value, line = metadata["decision-makers"]
        makers = _names(value, "deciders", line, problems)
    else:
        makers = ()
    enablers = _names(meta.get("enablers"), "enablers", meta_line("enablers"), problems)
    changes = _changes(meta.get("changes"), meta_line, problems)
    merge_into, merge_from = _merge(meta.get("merge"), meta_line, problems)

    # Texts.
    context = [_text(preamble)]
    options: list[str] = []
    decision: list[str] = []
    consequences: list[str] = []
    folded_consequences: list[str] = []
    for section in sections[1:]:
        if section.kind == "context":
            context.append(_text(section.lines))
        elif section.kind == "drivers":
            context.append(_fold(section, level=3))
        elif section.kind == "options":
            options.append(_text(section.lines))
        elif section.kind == "pros_and_cons":
            options.append(_fold(section, level=3))
        elif section.kind == "decision":
            outcome, following = _split_outcome(section.lines)
            decision.append(_text(outcome))
            consequences.append(_text(following))
        elif section.kind == "consequences":
            consequences.append(_text(section.lines))
        elif section.kind == "more":
            folded_consequences.append(_fold(section, level=4))

    problems.raise_if_any()
    return DecisionRecord(
        number=number,
        title=title,
        status=status or "proposed",
        date=decided_on,
        decision_makers=makers,
        context=_join(context),
        options=_join(options),
        decision=_join(decision),
        consequences=_join(consequences + folded_consequences),
        enablers=enablers,
        changes=changes,
        supersedes=supersedes,
        review_on=review_on,
        merge_into=merge_into,
        merge_from=merge_from,
    )


def register_from_markdown(files: Sequence[tuple[str, str]]) -> list[DecisionRecord]:
    """Read every ``(filename, text)``, in the order given, or raise one :class:`MarkdownError`.

    The error lists every problem of every file, each prefixed with its file name, and also
    two files that claim the same number. Files without a number are read with ``number``
    None: the importer numbers them.
    """
    records: list[DecisionRecord] = []
    errors: list[str] = []
    first_with_number: dict[int, str] = {}
    for name, text in files:
        try:
            record = from_markdown(text, filename=name)
        except MarkdownError as exc:
            errors.extend(exc.errors)
            continue
        records.append(record)
        if record.number is not None:
            if record.number in first_with_number:
                errors.append(
                    f"{name}: {format_number(record.number)} is also the number of "
                    f"{first_with_number[record.number]}"
                )
            else:
                first_with_number[record.number] = name
    if errors:
        raise MarkdownError("\n".join(errors), errors)
    return records


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so that a bad one is reported by key and line
    (PyYAML's own date reading raises a bare ValueError for 2026-13-01)."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _read_front_matter(
    lines: list[str], problems: _Problems
) -> tuple[dict[str, Any], dict[_Path, int], int]:
    """The front matter's mapping, the file line of each key and item, and where the rest starts."""
    if not lines or lines[0].strip() != "---":
        return {}, {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.fail("the front matter opened here is never closed with '---'", 1)
    loader = _FrontMatterLoader("\n".join(lines[1:end]))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.fail(
            f"invalid YAML front matter: {exc.problem or exc.context or exc}",
            mark.line + 2 if mark is not None else 2,
        )
    except yaml.YAMLError as exc:
        problems.fail(f"invalid YAML front matter: {exc}", 2)
    finally:
        loader.dispose()
    if data is None:
        return {}, {}, end + 1
    if not isinstance(data, dict):
        problems.fail("the front matter must be keys and values (status: accepted, …)", 2)
    return data, _node_lines(node), end + 1


def _node_lines(root: yaml.Node | None) -> dict[_Path, int]:
    """File line of every mapping key and sequence item (the front matter starts on line 2)."""
    found: dict[_Path, int] = {}
    seen: set[int] = set()

    def walk(node: yaml.Node, path: _Path, line: int) -> None:
        found[path] = line + 2
        if id(node) in seen:  # an alias back to an enclosing node
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    walk(value, (*path, key.value), key.start_mark.line)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index), item.start_mark.line)

    if root is not None:
        walk(root, (), root.start_mark.line)
    return found


def _fenced(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it opens, closes or lies inside a fenced code block."""
    result: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match[1]
            result.append(fence is not None)
            continue
        result.append(True)
        stripped = line.strip()
        if match and stripped == fence[0] * len(stripped) and len(stripped) >= len(fence):
            fence = None
    return result


def _read_title(
    lines: list[str], start: int, problems: _Problems
) -> tuple[str, int | None, list[_Line]]:
    """The title (first level-1 heading), its line, and the numbered lines after it."""
    body = lines[start:]
    fenced = _fenced(body)
    for i, line in enumerate(body):
        if fenced[i]:
            continue
        heading = _HEADING.match(line)
        if heading and len(heading[1]) == 1:
            title = _COMMENT.sub("", heading[2] or "").strip()
            return title, start + i + 1, _numbered(lines, start + i + 1)
        if heading:
            break  # a section before any title
        if (
            line.strip()
            and i + 1 < len(body)
            and not fenced[i + 1]
            and _SETEXT_H1.match(body[i + 1])
        ):
            title = _COMMENT.sub("", line).strip()
            return title, start + i + 1, _numbered(lines, start + i + 2)
    problems.add("no title (a first heading such as '# Make identity repeatable')")
    return "", None, _numbered(lines, start)


def _numbered(lines: list[str], start: int) -> list[_Line]:
    return [(start + i + 1, line) for i, line in enumerate(lines[start:])]


def _section_name(heading: str) -> str:
    name = _COMMENT.sub("", heading)
    name = re.sub(r"[ \t]+#+$", "", name).strip().strip("*_").strip().rstrip(":")
    return " ".join(name.lower().split())


def _read_sections(content: list[_Line]) -> list[_Section]:
    """Split the lines after the title at the level-2 headings we know; the first section
    (kind "preamble") is what comes before any of them."""
    sections = [_Section("preamble", "")]
    fenced = _fenced([line for _, line in content])
    for (number, line), in_fence in zip(content, fenced, strict=True):
        if not in_fence:
            if _COMMENT_LINE.match(line):
                continue
            heading = _HEADING.match(line)
            if heading and len(heading[1]) == 2:
                kind = _SECTIONS.get(_section_name(heading[2] or ""))
                if kind:
                    clean = _COMMENT.sub("", heading[2] or "").strip()
                    sections.append(_Section(kind, clean))
                    continue
        sections[-1].lines.append((number, line))
    return sections


def _read_preamble(lines: list[_Line]) -> tuple[list[_Line], dict[str, tuple[str, int]]]:
    """Take MADR 2's ``* Status:``-style lines and Nygard's ``Date:`` out of the preamble."""
    rest: list[_Line] = []
    metadata: dict[str, tuple[str, int]] = {}
    fenced = _fenced([line for _, line in lines])
    for (number, line), in_fence in zip(lines, fenced, strict=True):
        match = None if in_fence else _META_LINE.match(line)
        if match is None:
            rest.append((number, line))
            continue
        key = match["key"].lower()
        if key in ("deciders", "decision makers"):
            key = "decision-makers"
        value = _COMMENT.sub("", match["value"]).strip()
        metadata.setdefault(key, (value, number))
    return rest, metadata


def _split_outcome(lines: list[_Line]) -> tuple[list[_Line], list[_Line]]:
    """Decision Outcome's own text, and everything from its first consequences heading on."""
    fenced = _fenced([line for _, line in lines])
    for i, (_, line) in enumerate(lines):
        heading = None if fenced[i] else _HEADING.match(line)
        if heading and len(heading[1]) == 3:
            name = _section_name(heading[2] or "")
            if name in _CONSEQUENCE_HEADINGS:
                if name == "consequences":  # the heading becomes the field
                    return lines[:i], lines[i + 1 :]
                # MADR 2 and 3's "### Positive Consequences" and the like stay as parts of
                # the consequences, one level down (as if under "### Consequences").
                return lines[:i], [(0, _demote(_text(lines[i:]), 1))]
    return lines, []


def _text(lines: Iterable[_Line]) -> str:
    return "\n".join(line for _, line in lines).strip()


def _join(parts: Iterable[str]) -> str:
    return "\n\n".join(part for part in parts if part)


def _fold(section: _Section, *, level: int) -> str:
    """A section folded into another field, under a heading of ``level``."""
    body = _text(section.lines)
    if not body:
        return ""
    return "#" * level + " " + section.heading + "\n\n" + _demote(body, level - 2)


def _demote(text: str, by: int) -> str:
    """Move the headings in ``text`` (not in its code blocks) ``by`` levels down."""
    lines = text.split("\n")
    for i, in_fence in enumerate(_fenced(lines)):
        heading = None if in_fence else _HEADING.match(lines[i])
        if heading:
            hashes = "#" * min(6, len(heading[1]) + by)
            lines[i] = f"{hashes} {_COMMENT.sub('', heading[2] or '').strip()}".rstrip()
    return "\n".join(lines)


def _read_status(lines: list[_Line], problems: _Problems) -> tuple[str | None, int | None]:
    """Status and the number it supersedes, from a status value or a ``## Status`` section.

    "Superseded by …" makes this decision superseded and names nothing on it (that link is
    kept on the newer decision); "Supersedes [N. …]" gives the number it supersedes.
    """
    word: str | None = None
    superseded = False
    supersedes: int | None = None
    for number, raw in lines:
        line = _COMMENT.sub("", raw)
        for match in _RELATION.finditer(line):
            if match[1].lower().startswith("superseded"):
                superseded = True
            elif supersedes is None:
                supersedes = _referenced_number(match[2] or "")
        rest = _LINK.sub("", _RELATION.sub("", line))
        for clause in re.split(r"[,;]", rest):
            clause = clause.strip().lstrip("*+-").strip().strip("*_`").strip().rstrip(".")
            if not clause or word is not None:
                continue  # after the status, the rest is links ("amended by …")
            word = _status_word(clause)
            if word is None:
                problems.add(
                    f"unknown status '{clause}' "
                    "(expected proposed, accepted, rejected or superseded)",
                    number or None,
                )
                word = "proposed"
    return ("superseded" if superseded else word), supersedes


def _status_word(clause: str) -> str | None:
    lowered = clause.lower()
    for word, status in _STATUS_WORDS:
        if lowered == word or (lowered.startswith(word) and not lowered[len(word)].isalpha()):
            return status
    return None


def _supersedes_in(lines: list[_Line]) -> int | None:
    """A "Supersedes [N. …]" line in a Links or More Information section."""
    for _, line in lines:
        match = _RELATION_LINE.match(line)
        if match and match[1].lower() == "supersedes":
            relation = _RELATION.search(line)
            if relation:
                return _referenced_number(relation[2] or "")
    return None


def _referenced_number(reference: str) -> int | None:
    """The decision number a reference names: ``[3. Title](…)``, ``[ADR-0005](…)``, ``DEC-007``."""
    match = re.match(r"\[\s*(?:(?:adr|dec)[-_ ]?)?0*(\d+)\b", reference, re.IGNORECASE)
    if match:
        return int(match[1])
    target = re.search(r"\]\(([^)]*)\)", reference)
    if target:
        return _number_from_filename(target[1])
    match = re.match(r"(?:(?:adr|dec)[-_ ]?)?0*(\d+)\b", reference, re.IGNORECASE)
    return int(match[1]) if match else None


def _number_from_filename(filename: str) -> int | None:
    match = _FILE_NUMBER.match(re.split(r"[\\/]", filename)[-1])
    return int(match[1]) if match else None


def _number_value(value: Any, key: str, line: int | None, problems: _Problems) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        match = _NUMBER_VALUE.fullmatch(value)
        if match:
            return int(match[1])
    problems.add(f"{key} '{value}' is not a decision number (like DEC-007 or 7)", line)
    return None


def _date_value(value: Any, key: str, line: int | None, problems: _Problems) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if isinstance(value, str) and _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    problems.add(f"{key} '{value}' is not a date (expected YYYY-MM-DD, like 2026-11-25)", line)
    return None


def _names(value: Any, key: str, line: int | None, problems: _Problems) -> tuple[str, ...]:
    """A list of names or keys: a YAML list, or one text of comma-separated names."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,;]", value)
    elif isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        items = [v for v in value if v is not None]
    else:
        problems.add(f"{key} must be a list, like [a, b]", line)
        return ()
    return tuple(str(item).strip() for item in items if str(item).strip())


def _changes(value: Any, meta_line: _LineOf, problems: _Problems) -> tuple[Change, ...]:
    if value is None:
        return ()
    example = "{enabler: identity, from: common, to: repeatable}"
    if not isinstance(value, list):
        problems.add(f"changes must be a list of {example}", meta_line("changes"))
        return ()
    changes: list[Change] = []
    for index, item in enumerate(value):
        line = meta_line("changes", index)
        if not isinstance(item, dict):
            problems.add(f"change {index + 1} must be like {example}", line)
            continue
        enabler = item.get("enabler")
        if not isinstance(enabler, str) or not enabler.strip():
            problems.add(f"change {index + 1} names no enabler", line)
        sides: list[str] = []
        for side in ("from", "to"):
            raw = item.get(side)
            classification = str(raw).strip().lower()
            if raw is None:
                problems.add(f"change {index + 1} has no '{side}' classification", line)
            elif classification not in CLASSIFICATIONS:
                problems.add(
                    f"change {index + 1}: unknown classification '{raw}' "
                    "(expected repeatable, common or independent)",
                    meta_line("changes", index, side) or line,
                )
            sides.append(classification)
        if isinstance(enabler, str) and all(s in CLASSIFICATIONS for s in sides):
            changes.append(Change(enabler.strip(), sides[0], sides[1]))
    return tuple(changes)


def _merge(
    value: Any, meta_line: _LineOf, problems: _Problems
) -> tuple[str | None, tuple[str, ...]]:
    if value is None:
        return None, ()
    if not isinstance(value, dict):
        problems.add(
            "merge must be like {into: booking, from: [booking-food, booking-home]}",
            meta_line("merge"),
        )
        return None, ()
    into = value.get("into")
    if into is not None and not isinstance(into, str):
        problems.add("merge 'into' must be one enabler key", meta_line("merge", "into"))
        into = None
    merged = _names(value.get("from"), "merge 'from'", meta_line("merge", "from"), problems)
    return (into.strip() or None) if into else None, merged
