"""Decisions out to Markdown (MADR 4) and back in, through the services."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessments import madr, services
from assessments.models import Decision, DecisionStatus
from assessments.services import DecisionDraft, DecisionError, decision_record
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast

FILES = Path(__file__).resolve().parents[1] / "decisions" / "files"


def register(cast: Cast) -> list[Decision]:
    org, world = cast.world.org, cast.world
    first = services.decision_propose(
        organisation=org,
        draft=DecisionDraft(
            title="Make payments repeatable",
            context="Every offering takes payments.\n\nTwo teams run their own.",
            options="* one payments platform\n* one per business",
            decision="One payments platform for everyone.",
            consequences="Teams move over by spring.",
            changes=((world.payments, "repeatable"),),
            enablers=(world.search,),
        ),
        actor=cast.leader.user,
    )
    services.decision_accept(decision=first, actor=cast.leader.user)
    services.decision_propose(
        organisation=org,
        draft=DecisionDraft(
            title="Split payments per business",
            context="Food and home need different terms.",
            supersedes=first,
            changes=((world.payments, "independent"),),
        ),
        actor=cast.owner.user,
    )
    return list(Decision.objects.for_org(org).order_by("number"))  # as stored


def test_export_then_import_gives_back_the_same_decisions(cast: Cast) -> None:
    originals = register(cast)
    files = madr.register_to_markdown([decision_record(d) for d in originals])

    # Into another organisation with enablers of the same keys.
    imported = services.decisions_import(
        organisation=cast.other.org, files=files, actor=cast.outsider.user
    )

    assert [decision_record(d) for d in imported] == [decision_record(d) for d in originals]
    assert imported[1].supersedes == imported[0]
    assert imported[0].status == DecisionStatus.ACCEPTED
    assert imported[0].organisation == cast.other.org


def test_an_import_with_problems_stores_nothing_and_names_every_file(cast: Cast) -> None:
    originals = register(cast)
    files = madr.register_to_markdown([decision_record(d) for d in originals])
    bad = files[1][1].replace("enabler: payments", "enabler: no-such-thing")

    with pytest.raises(DecisionError) as refused:
        services.decisions_import(
            organisation=cast.world.org,  # DEC-001 and DEC-002 are already there
            files=[files[0], (files[1][0], bad)],
            actor=cast.leader.user,
        )

    message = str(refused.value)
    assert f"{files[0][0]}: DEC-001 is already in the register." in message
    assert "no enabler has the key “no-such-thing”" in message
    assert Decision.objects.for_org(cast.world.org).count() == 2


def test_files_in_every_layout_the_importer_reads_come_in_together(cast: Cast) -> None:
    paths = sorted(p for p in FILES.glob("*.md") if not p.name.startswith("broken"))
    layouts = {p.name.split("-0")[0].split("-dec")[0] for p in paths}
    assert layouts == {"madr-2", "madr-3", "madr-4", "nygard"}
    files = [(p.name, p.read_text(encoding="utf-8")) for p in paths]
    records = madr.register_from_markdown(files)
    # The enablers the files name exist here, as the changes expect them.
    start = {c.enabler: c.from_classification for r in records for c in r.changes}
    named = {k for r in records for k in (*r.enablers, *r.merge_from, *start)}
    named |= {r.merge_into for r in records if r.merge_into}
    existing = set(m.Enabler.objects.for_org(cast.world.org).values_list("key", flat=True))
    for key in sorted(named - existing):
        f.EnablerFactory(
            organisation=cast.world.org, key=key, classification=start.get(key, "common")
        )

    decisions = services.decisions_import(
        organisation=cast.world.org, files=files, actor=cast.leader.user
    )

    by_title = {r.title: r for r in records}
    assert len(decisions) == len(records)
    for decision in decisions:
        record = by_title[decision.title]
        assert decision.status == record.status
        assert decision_record(decision).changes == record.changes
        if record.number is not None:
            assert decision.number == record.number
        if record.supersedes is not None:
            assert decision.supersedes is not None
            assert decision.supersedes.number == record.supersedes


def test_a_broken_file_is_refused_with_its_name(cast: Cast) -> None:
    path = FILES / "broken-no-title.md"

    with pytest.raises(madr.MarkdownError, match=r"broken-no-title\.md"):
        services.decisions_import(
            organisation=cast.world.org,
            files=[(path.name, path.read_text(encoding="utf-8"))],
            actor=cast.leader.user,
        )
    assert not Decision.objects.for_org(cast.world.org).exists()


def test_the_register_downloads_as_a_zip_that_imports_back(cast: Cast) -> None:
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import client_for

    register(cast)
    response = client_for(cast.viewer).get(reverse("assessments:register_markdown", args=["acme"]))
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [
        "decisions/dec-001-make-payments-repeatable.md",
        "decisions/dec-002-split-payments-per-business.md",
    ]

    upload = SimpleUploadedFile("register.zip", response.content, "application/zip")
    imported = client_for(cast.outsider).post(
        reverse("assessments:decision_import", args=["globex"]), {"documents": upload}
    )

    assert imported.status_code == 302
    assert Decision.objects.for_org(cast.other.org).count() == 2


def test_an_import_that_cannot_be_made_says_why_next_to_the_field(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import client_for

    path = FILES / "broken-no-title.md"
    upload = SimpleUploadedFile(path.name, path.read_bytes(), "text/markdown")

    response = client_for(cast.leader).post(
        reverse("assessments:decision_import", args=["acme"]), {"documents": upload}
    )

    assert response.status_code == 400
    assert "broken-no-title.md" in response.context["form"].errors["documents"][0]
    assert not Decision.objects.for_org(cast.world.org).exists()


def _zip_of(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("files", "says"),
    [
        # 12 files of 1.9 MB of spaces: a small zip that unpacks past 20 MB.
        ({f"d{i}.md": b"# T\n" + b" " * 1_900_000 for i in range(12)}, "unpacks to more than"),
        ({f"d{i}.md": b"# T\n" for i in range(501)}, "holds 501 Markdown files"),
        ({"big.md": b"# T\n" + b" " * 2_000_001}, "big.md is larger than 2 MB"),
    ],
    ids=["unpacks too big", "too many files", "one file too big"],
)
def test_a_zip_past_the_limits_is_refused_before_it_is_unpacked(
    cast: Cast, files: dict[str, bytes], says: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import client_for

    content = _zip_of(files)
    assert len(content) < 2_000_000  # the upload itself is within its limit
    upload = SimpleUploadedFile("register.zip", content, "application/zip")

    response = client_for(cast.leader).post(
        reverse("assessments:decision_import", args=["acme"]), {"documents": upload}
    )

    assert response.status_code == 400
    assert says in response.context["form"].errors["documents"][0]
    assert not Decision.objects.for_org(cast.world.org).exists()
