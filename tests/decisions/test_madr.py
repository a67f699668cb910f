"""Decisions as Markdown (MADR): writing, reading every layout we accept, and the errors.

No database: ``assessments.madr`` is pure Python.
"""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.madr import (
    Change,
    DecisionRecord,
    MarkdownError,
    filename_for,
    format_number,
    from_markdown,
    register_from_markdown,
    register_to_markdown,
    to_markdown,
)

FILES = Path(__file__).parent / "files"


def adr_name(fixture: str) -> str:
    """The name a fixture would have in a project's ``docs/adr`` folder: fixtures are named
    ``<layout>-<that name>`` (``madr-2-0002-….md``, ``nygard-0001-….md``)."""
    return re.sub(r"^(madr-\d|nygard)-", "", fixture)


def read(name: str) -> DecisionRecord:
    return from_markdown((FILES / name).read_text(encoding="utf-8"), filename=adr_name(name))


def record(**fields) -> DecisionRecord:
    base = DecisionRecord(
        number=7,
        title="Make identity repeatable",
        status="accepted",
        date="2026-11-25",
        decision_makers=("Ada Lovelace",),
        context="Every business runs its own sign-in.",
        options="* One platform\n* One shared service",
        decision='Chosen option: "One platform".',
        consequences="* Good, because one account per customer.",
    )
    return replace(base, **fields)


def problems(text: str, filename: str = "") -> str:
    with pytest.raises(MarkdownError) as caught:
        from_markdown(text, filename=filename)
    return str(caught.value)


# --------------------------------------------------------------------------- writing


def test_it_writes_madr_4_with_our_keys_in_the_front_matter():
    full = record(
        enablers=("identity", "payments"),
        changes=(Change("identity", "common", "repeatable"),),
        supersedes=3,
        review_on="2027-05-01",
        merge_into="booking",
        merge_from=("booking-food", "booking-home"),
    )

    assert to_markdown(full) == (
        "---\n"
        "status: accepted\n"
        "date: 2026-11-25\n"
        "decision-makers: [Ada Lovelace]\n"
        "number: DEC-007\n"
        "enablers: [identity, payments]\n"
        "changes:\n"
        "- {enabler: identity, from: common, to: repeatable}\n"
        "supersedes: DEC-003\n"
        "review-on: 2027-05-01\n"
        "merge:\n"
        "  into: booking\n"
        "  from: [booking-food, booking-home]\n"
        "---\n"
        "# Make identity repeatable\n"
        "\n"
        "## Context and Problem Statement\n"
        "\n"
        "Every business runs its own sign-in.\n"
        "\n"
        "## Considered Options\n"
        "\n"
        "* One platform\n"
        "* One shared service\n"
        "\n"
        "## Decision Outcome\n"
        "\n"
        'Chosen option: "One platform".\n'
        "\n"
        "### Consequences\n"
        "\n"
        "* Good, because one account per customer.\n"
    )


def test_it_leaves_out_empty_keys_and_writes_empty_sections_with_no_body():
    bare = DecisionRecord(
        number=None,
        title="Look at search",
        status="proposed",
        date=None,
        decision_makers=(),
        context="",
        options="",
        decision="",
        consequences="",
    )

    assert to_markdown(bare) == (
        "---\n"
        "status: proposed\n"
        "---\n"
        "# Look at search\n"
        "\n"
        "## Context and Problem Statement\n"
        "\n"
        "## Considered Options\n"
        "\n"
        "## Decision Outcome\n"
        "\n"
        "### Consequences\n"
    )


def test_it_keeps_a_multi_line_title_on_one_line():
    assert "# Make identity repeatable\n" in to_markdown(record(title="Make identity\nrepeatable"))


def test_file_name_is_the_number_and_an_ascii_slug_of_the_title():
    assert filename_for(record()) == "dec-007-make-identity-repeatable.md"
    assert filename_for(record(number=123, title="Déjà vu: Ünïcode & co.")) == (
        "dec-123-deja-vu-unicode-co.md"
    )
    assert filename_for(record(number=1234, title="!!!")) == "dec-1234-decision.md"


def test_file_name_slug_is_cut_at_a_word_near_sixty_characters():
    name = filename_for(record(title="word " * 30))
    slug = name.removeprefix("dec-007-").removesuffix(".md")

    assert len(slug) <= 60
    assert slug.endswith("word")


def test_file_name_of_an_unnumbered_decision_names_no_number():
    name = filename_for(record(number=None, title="2026 plan"))

    assert name == "decision-2026-plan.md"
    assert from_markdown(to_markdown(record(number=None, title="2026 plan")), filename=name) == (
        record(number=None, title="2026 plan")
    )


def test_register_is_written_in_number_order_with_unnumbered_decisions_last():
    files = register_to_markdown(
        [
            record(number=None, title="Later"),
            record(number=12, title="Twelve"),
            record(number=2, title="Two"),
            record(number=None, title="Later"),
        ]
    )

    assert [name for name, _ in files] == [
        "dec-002-two.md",
        "dec-012-twelve.md",
        "decision-later.md",
        "decision-later-2.md",
    ]
    assert files[0][1] == to_markdown(record(number=2, title="Two"))


def test_number_is_written_with_three_digits_at_least():
    assert format_number(7) == "DEC-007"
    assert format_number(1234) == "DEC-1234"


# --------------------------------------------------------------------------- round trip

KEYS = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
CLASSES = st.sampled_from(["repeatable", "common", "independent"])
# Printable text: letters, digits, punctuation, symbols and spaces (no control characters,
# no line or paragraph separators).
PRINTABLE = st.characters(categories=("L", "N", "P", "S", "Zs"))
WORDS = st.text(PRINTABLE, min_size=1, max_size=30).map(str.strip).filter(bool)
DATES = st.dates().map(lambda d: d.isoformat())
NUMBERS = st.none() | st.integers(min_value=0, max_value=99_999)


def _plain_line(line: str) -> bool:
    # Lines that Markdown or our reader give a meaning of their own (headings, code fences,
    # HTML comments) are left to the example-based tests below.
    return not line.lstrip().startswith(("#", "`", "~", "<!--"))


LINE = st.text(PRINTABLE, max_size=40).filter(_plain_line)
# Bodies are compared stripped: the writer and the reader both strip a section's body.
BODY = st.lists(LINE, max_size=6).map(lambda lines: "\n".join(lines).strip())
# A title that starts with a decision number ("7. …", "DEC-007 …") gives that number up when
# read, by design; titles here start with a letter.
TITLE = WORDS.filter(lambda t: t[0].isalpha() and not re.match(r"(?i)(adr|dec)[-_]?\d", t))


@st.composite
def records(draw) -> DecisionRecord:
    return DecisionRecord(
        number=draw(NUMBERS),
        title=draw(TITLE),
        status=draw(st.sampled_from(["proposed", "accepted", "rejected", "superseded"])),
        date=draw(st.none() | DATES),
        decision_makers=tuple(draw(st.lists(WORDS, max_size=3))),
        context=draw(BODY),
        options=draw(BODY),
        decision=draw(BODY),
        consequences=draw(BODY),
        enablers=tuple(draw(st.lists(KEYS, max_size=3))),
        changes=tuple(
            draw(st.lists(st.builds(Change, KEYS, CLASSES, CLASSES), max_size=3)),
        ),
        supersedes=draw(NUMBERS),
        review_on=draw(st.none() | DATES),
        merge_into=draw(st.none() | KEYS),
        merge_from=tuple(draw(st.lists(KEYS, max_size=3))),
    )


@settings(max_examples=300, deadline=None)
@given(records())
def test_any_record_reads_back_as_itself(decision):
    assert from_markdown(to_markdown(decision)) == decision
    assert from_markdown(to_markdown(decision), filename=filename_for(decision)) == decision


def test_headings_and_code_inside_a_text_read_back_as_text():
    decision = record(
        context="### Background\n\nSome history.\n\n## Not a section of ours\n\nMore.",
        options="```bash\n## Considered Options\n# a comment\n```",
        decision="Chosen.\n\n### Confirmation\n\nA review.",
        consequences="#### More Information\n\nLinks.\n\n### Later\n\nAfter.",
    )

    assert from_markdown(to_markdown(decision)) == decision


def test_an_imported_file_reads_the_same_after_it_is_written_again():
    for path in sorted(FILES.glob("madr-*.md")) + sorted(FILES.glob("nygard-*.md")):
        first = read(path.name)
        assert from_markdown(to_markdown(first)) == first, path.name


def test_windows_line_endings_and_a_byte_order_mark_are_read():
    text = "\ufeff" + to_markdown(record()).replace("\n", "\r\n")

    assert from_markdown(text) == record()


# --------------------------------------------------------------------------- fixture files


def test_it_reads_our_own_madr_4_file():
    assert read("madr-4-dec-007-make-identity-repeatable.md") == DecisionRecord(
        number=7,
        title="Make identity repeatable",
        status="accepted",
        date="2026-11-25",
        decision_makers=("Ada Lovelace", "Grace Hopper"),
        context=(
            "Every business runs its own sign-in. Customers who shop for food and book a home\n"
            "visit keep two accounts, and the three identity teams flag each other as "
            "bottlenecks."
        ),
        options=(
            "* One identity platform for every business (repeatable)\n"
            "* Keep a shared identity service that each business adapts (common)"
        ),
        decision=(
            'Chosen option: "One identity platform", because sign-in is the same job in '
            "every business."
        ),
        consequences=(
            "* Good, because one account per customer.\n"
            "* Bad, because the food business loses its own sign-up flow."
        ),
        enablers=("identity", "payments"),
        changes=(Change("identity", "common", "repeatable"),),
        supersedes=3,
        review_on="2027-05-01",
    )


def test_it_reads_our_own_madr_4_file_of_a_superseded_decision():
    assert read("madr-4-dec-003-keep-identity-common.md") == DecisionRecord(
        number=3,
        title="Keep identity common",
        status="superseded",
        date="2025-05-01",
        decision_makers=("Ada Lovelace",),
        context="Each business adapts the shared identity service to its own sign-up.",
        options="* Keep identity common\n* Make identity repeatable",
        decision='Chosen option: "Keep identity common", for now.',
        consequences="* Each business keeps its sign-up flow.",
        enablers=("identity",),
    )


def test_it_reads_a_madr_4_merge_with_empty_sections_and_a_code_block():
    assert read("madr-4-dec-012-merge-the-booking-platforms.md") == DecisionRecord(
        number=12,
        title="Merge the booking platforms",
        status="proposed",
        date="2026-12-02",
        decision_makers=("Margaret Hamilton",),
        context=(
            "Food and home services each built a booking platform. They differ only in the\n"
            "calendar they show."
        ),
        options="",
        decision=(
            "Merge both into `booking` and retire the other two.\n\n"
            "```yaml\n"
            "## Decision Outcome\n"
            "this heading is inside a code block and stays in the text\n"
            "```"
        ),
        consequences="",
        enablers=("booking", "booking-food", "booking-home"),
        merge_into="booking",
        merge_from=("booking-food", "booking-home"),
    )


def test_it_reads_the_full_madr_4_template_folding_the_optional_sections():
    assert read("madr-4-0004-use-one-payment-provider.md") == DecisionRecord(
        number=4,
        title="Use one payment provider",
        status="superseded",
        date="2025-03-14",
        decision_makers=("Katherine Johnson", "Dorothy Vaughan"),
        context=(
            "Each business signed its own contract with a payment provider.\n\n"
            "### Decision Drivers\n\n"
            "* Fees\n"
            "* One place to reconcile"
        ),
        options=(
            "* Provider A\n"
            "* Provider B\n\n"
            "### Pros and Cons of the Options\n\n"
            "#### Provider A\n\n"
            "* Good, because cheap\n\n"
            "#### Provider B\n\n"
            "* Bad, because dear"
        ),
        decision='Chosen option: "Provider A", because its fees are lowest.',
        consequences=(
            "* Good, because one contract.\n"
            "* Bad, because a single point of failure.\n\n"
            "### Confirmation\n\n"
            "Finance checks the monthly statement.\n\n"
            "#### More Information\n\n"
            "To be revisited when the contract ends."
        ),
        supersedes=None,
    )


def test_it_reads_madr_3_with_deciders_and_positive_and_negative_consequences():
    assert read("madr-3-0008-keep-search-independent.md") == DecisionRecord(
        number=8,
        title="Keep search independent",
        status="rejected",
        date="2024-06-30",
        decision_makers=("Alan Turing", "Joan Clarke"),
        context="Search serves three offerings with very different catalogues.",
        options="* Keep search independent per business\n* One common search service",
        decision=(
            'Chosen option: "Keep search independent per business", because the catalogues '
            "share nothing."
        ),
        consequences=(
            "#### Positive Consequences\n\n"
            "* Each team tunes its own ranking.\n\n"
            "#### Negative Consequences\n\n"
            "* Three search stacks to run.\n\n"
            "#### Validation\n\n"
            "Reviewed at the next assessment round."
        ),
    )


def test_it_reads_madr_2_with_its_status_lines_under_the_title():
    assert read("madr-2-0002-share-the-notification-service.md") == DecisionRecord(
        number=2,
        title="Share the notification service",
        status="accepted",
        date="2020-01-02",
        decision_makers=("Barbara Liskov", "Frances Allen"),
        context=(
            "Technical Story: every offering sends its own emails.\n\n"
            "Customers get the same message three times.\n\n"
            "### Decision Drivers\n\n"
            "* Fewer duplicate messages"
        ),
        options="* One notification service\n* Leave it to each offering",
        decision='Chosen option: "One notification service", because it removes the duplicates.',
        consequences=(
            "#### Positive Consequences\n\n"
            "* One message per event.\n\n"
            "#### Negative Consequences\n\n"
            "* Every team depends on one service.\n\n"
            "#### Links\n\n"
            "* Relates to [ADR-0001](0001-record-architecture-decisions.md)"
        ),
    )


def test_it_reads_a_nygard_record_that_was_superseded():
    assert read("nygard-0001-record-architecture-decisions.md") == DecisionRecord(
        number=1,
        title="Record architecture decisions",
        status="superseded",
        date="2019-11-04",
        decision_makers=(),
        context="We need to record the architectural decisions made on this project.",
        options="",
        decision="We will use Architecture Decision Records, as described by Michael Nygard.",
        consequences="See Michael Nygard's article.",
        supersedes=None,
    )


def test_it_reads_a_nygard_record_that_supersedes_another():
    assert read("nygard-0005-record-decisions-in-the-register.md") == DecisionRecord(
        number=5,
        title="Record decisions in the register",
        status="accepted",
        date="2026-01-15",
        decision_makers=(),
        context="Decisions about enablers belong next to the enablers they change.",
        options="",
        decision=("We record operating-model decisions in the Enabling Model's decision register."),
        consequences="The `docs/adr` folder is read once and then kept only as history.",
        supersedes=1,
    )


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("accepted", "accepted"),
        ("Accepted", "accepted"),
        ("ACCEPTED", "accepted"),
        ("approved", "accepted"),
        ("Done", "accepted"),
        ("accepted on 2026-11-25", "accepted"),
        ("proposed", "proposed"),
        ("Draft", "proposed"),
        ("in progress", "proposed"),
        ("rejected", "rejected"),
        ("Declined", "rejected"),
        ("superseded", "superseded"),
        ("Deprecated", "superseded"),
        ("superseded by ADR-0123", "superseded"),
        ("superseded by [ADR-0005](0005-example.md)", "superseded"),
        ("accepted, superseded by [3. Use X, not Y](0003-use-x.md)", "superseded"),
    ],
)
def test_status_is_normalised_to_one_of_four(written, status):
    front_matter = f"---\nstatus: {written}\n---\n# T\n"
    madr_2 = f"# T\n\n* Status: {written}\n"
    nygard = f"# 1. T\n\n## Status\n\n{written}\n"

    assert from_markdown(front_matter).status == status
    assert from_markdown(madr_2).status == status
    assert from_markdown(nygard).status == status


def test_missing_status_is_proposed():
    assert from_markdown("# T\n\n## Context\n\nText.\n").status == "proposed"
    assert from_markdown("---\ndate: 2026-01-01\n---\n# T\n").status == "proposed"


def test_superseded_by_names_nothing_on_the_older_decision():
    older = from_markdown("# 1. T\n\n## Status\n\nSuperseded by [3. Newer](0003-newer.md)\n")

    assert (older.status, older.supersedes) == ("superseded", None)


@pytest.mark.parametrize(
    "text",
    [
        "# 5. T\n\n## Status\n\nAccepted\n\nSupersedes [3. Older](0003-older.md)\n",
        "# T\n\n* Status: accepted, supersedes [ADR-0003](0003-older.md)\n",
        "# T\n\n* Status: accepted\n\n## Links\n\n* Supersedes [Older](0003-older.md)\n",
        "---\nstatus: accepted\nsupersedes: DEC-003\n---\n# T\n",
        "---\nstatus: accepted\nsupersedes: 3\n---\n# T\n",
    ],
)
def test_supersedes_gives_the_number_of_the_older_decision(text):
    newer = from_markdown(text)

    assert (newer.status, newer.supersedes) == ("accepted", 3)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "filename", "number", "title"),
    [
        ("---\nnumber: DEC-007\n---\n# Title\n", "", 7, "Title"),
        ("---\nnumber: 7\n---\n# Title\n", "", 7, "Title"),
        ("---\nnumber: '0007'\n---\n# Title\n", "", 7, "Title"),
        ("# 1. Record architecture decisions\n", "", 1, "Record architecture decisions"),
        ("# ADR-0007: Title\n", "", 7, "Title"),
        ("# DEC-007 Title\n", "", 7, "Title"),
        ("# 0007 - Title\n", "", 7, "Title"),
        ("# Title\n", "0007-title.md", 7, "Title"),
        ("# Title\n", "docs/adr/dec-007-title.md", 7, "Title"),
        ("# Title\n", "ADR-0007-title.md", 7, "Title"),
        ("# Title\n", "title.md", None, "Title"),
        ("# Title\n", "", None, "Title"),
    ],
)
def test_number_comes_from_front_matter_title_or_file_name(text, filename, number, title):
    decision = from_markdown(text, filename=filename)

    assert (decision.number, decision.title) == (number, title)


def test_front_matter_number_wins_over_title_and_file_name():
    decision = from_markdown("---\nnumber: DEC-009\n---\n# 4. Title\n", filename="0002-title.md")

    assert (decision.number, decision.title) == (9, "Title")


def test_title_number_wins_over_file_name():
    assert from_markdown("# 4. Title\n", filename="0002-title.md").number == 4


@pytest.mark.parametrize("title", ["2026 roadmap", "Dec 2026 restructure", "10x faster builds"])
def test_a_title_that_only_starts_with_digits_keeps_them(title):
    decision = from_markdown(f"# {title}\n")

    assert (decision.number, decision.title) == (None, title)


def test_a_setext_title_is_read():
    assert from_markdown("Use one login\n=============\n\n## Context\n\nText.\n").title == (
        "Use one login"
    )


# --------------------------------------------------------------------------- errors


def test_a_markdown_error_is_a_value_error():
    assert issubclass(MarkdownError, ValueError)


def test_a_file_without_a_title_is_refused():
    with pytest.raises(MarkdownError) as caught:
        read("broken-no-title.md")

    assert str(caught.value) == (
        "broken-no-title.md: no title (a first heading such as '# Make identity repeatable')"
    )


def test_an_empty_title_is_refused_with_its_line():
    assert problems("---\nstatus: accepted\n---\n#\n") == "line 4: the title is empty"


def test_invalid_front_matter_is_refused_with_its_line():
    with pytest.raises(MarkdownError) as caught:
        read("broken-yaml.md")

    assert str(caught.value) == (
        "broken-yaml.md, line 4: invalid YAML front matter: expected ',' or ']', "
        "but got '<stream end>'"
    )


def test_front_matter_that_is_not_keys_and_values_is_refused():
    assert problems("---\n- a\n- b\n---\n# T\n") == (
        "line 2: the front matter must be keys and values (status: accepted, …)"
    )


def test_front_matter_that_never_closes_is_refused():
    assert problems("---\nstatus: accepted\n# T\n", "x.md") == (
        "x.md, line 1: the front matter opened here is never closed with '---'"
    )


def test_a_change_with_an_unknown_classification_is_refused_with_its_line():
    with pytest.raises(MarkdownError) as caught:
        read("broken-classification.md")

    assert str(caught.value) == (
        "broken-classification.md, line 5: change 2: unknown classification 'shared' "
        "(expected repeatable, common or independent)"
    )


def test_a_change_needs_an_enabler_and_both_classifications():
    text = "---\nchanges:\n  - {enabler: identity, to: common}\n  - {from: common, to: common}\n---\n# T\n"

    assert problems(text) == (
        "line 3: change 1 has no 'from' classification\nline 4: change 2 names no enabler"
    )


def test_a_date_that_is_not_a_date_is_refused_with_its_line():
    with pytest.raises(MarkdownError) as caught:
        read("broken-date.md")

    assert str(caught.value) == (
        "broken-date.md, line 3: date 'next Tuesday' is not a date "
        "(expected YYYY-MM-DD, like 2026-11-25)"
    )


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("date: 2026-02-30", "line 3: date '2026-02-30' is not a date"),
        ("review-on: soon", "line 3: review-on 'soon' is not a date"),
        ("date: {YYYY-MM-DD when the decision was last updated}", "line 3: date "),
    ],
)
def test_front_matter_dates_must_be_real_dates(front_matter, message):
    assert problems(f"---\nstatus: accepted\n{front_matter}\n---\n# T\n").startswith(message)


def test_an_unknown_status_is_refused_with_its_line():
    assert problems("# T\n\n## Status\n\nMaybe later\n", "t.md") == (
        "t.md, line 5: unknown status 'Maybe later' "
        "(expected proposed, accepted, rejected or superseded)"
    )


def test_a_number_that_is_not_a_number_is_refused():
    assert problems("---\nnumber: soon\n---\n# T\n") == (
        "line 2: number 'soon' is not a decision number (like DEC-007 or 7)"
    )


def test_every_problem_of_a_file_is_reported_at_once():
    text = "---\ndate: soon\nchanges:\n  - {enabler: a, from: shared, to: common}\n---\n# T\n"

    with pytest.raises(MarkdownError) as caught:
        from_markdown(text, filename="t.md")

    assert caught.value.errors == (
        "t.md, line 2: date 'soon' is not a date (expected YYYY-MM-DD, like 2026-11-25)",
        "t.md, line 4: change 1: unknown classification 'shared' "
        "(expected repeatable, common or independent)",
    )


# --------------------------------------------------------------------------- the register


def files(*names: str) -> list[tuple[str, str]]:
    return [(adr_name(name), (FILES / name).read_text(encoding="utf-8")) for name in names]


def test_register_reads_every_file_in_the_order_given():
    records = register_from_markdown(
        files(
            "nygard-0005-record-decisions-in-the-register.md",
            "nygard-0001-record-architecture-decisions.md",
        )
        + [("notes.md", "# Unnumbered\n")]
    )

    assert [(r.number, r.title) for r in records] == [
        (5, "Record decisions in the register"),
        (1, "Record architecture decisions"),
        (None, "Unnumbered"),
    ]


def test_register_reports_every_bad_file_at_once():
    with pytest.raises(MarkdownError) as caught:
        register_from_markdown(
            files(
                "broken-no-title.md",
                "nygard-0001-record-architecture-decisions.md",
                "broken-yaml.md",
                "broken-classification.md",
                "broken-date.md",
            )
        )

    assert [error.split(":")[0] for error in caught.value.errors] == [
        "broken-no-title.md",
        "broken-yaml.md, line 4",
        "broken-classification.md, line 5",
        "broken-date.md, line 3",
    ]
    assert str(caught.value) == "\n".join(caught.value.errors)


def test_register_refuses_two_files_with_one_number():
    with pytest.raises(MarkdownError) as caught:
        register_from_markdown([("0003-a.md", "# A\n"), ("0003-b.md", "# 3. B\n")])

    assert str(caught.value) == "0003-b.md: DEC-003 is also the number of 0003-a.md"


def test_the_fixture_files_read_together_as_one_register():
    names = sorted(p.name for p in FILES.glob("*.md") if not p.name.startswith("broken"))
    records = register_from_markdown(files(*names))

    assert sorted(r.number for r in records if r.number is not None) == [1, 2, 3, 4, 5, 7, 8, 12]
    assert {r.number: r.supersedes for r in records if r.supersedes} == {5: 1, 7: 3}


def test_a_written_register_reads_back_as_itself():
    decisions = [record(number=n, title=f"Decision {n}") for n in (3, 1, 2)]

    assert register_from_markdown(register_to_markdown(decisions)) == sorted(
        decisions, key=lambda d: d.number or 0
    )
