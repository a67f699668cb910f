"""The Backstage import page, through the real stack: upload, preview, choices, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue import models as m
from catalogue.forms_backstage import MAX_BYTES, sign_files
from tests.conftest import Cast, client_for

from .test_import import SHOP, snapshot

FILES = Path(__file__).parent / "files"


def url(slug: str = "acme") -> str:
    return reverse("catalogue:backstage_import", args=[slug])


def uploads(*names: str) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name, (FILES / name).read_bytes(), content_type="application/yaml")
        for name in names
    ]


def upload(cast: Cast, *names: str) -> Any:
    return client_for(cast.leader).post(url(), {"step": "upload", "descriptors": uploads(*names)})


def carried(response: Any, **changes: str) -> dict[str, str]:
    """What the preview's form posts back: the signed files, the digest, the choices."""
    data = {k: str(v) for k, v in response.context["plan_form"].initial.items()}
    return {**data, **changes}


def test_the_page_offers_an_upload_of_several_files(cast: Cast) -> None:
    response = client_for(cast.leader).get(url())

    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1>Import from Backstage</h1>" in text
    assert 'type="file" name="descriptors"' in text and "multiple" in text
    assert 'for="id_descriptors" class="form-label' in text
    assert "1 MB in all" in text
    assert response.context["crumbs"] == [("Acme Ltd", "/o/acme/"), ("Import from Backstage", "")]


def test_uploading_shows_the_preview_and_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    response = upload(cast, *SHOP)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing has been written yet" in text
    assert response.context["counts"].created == 16
    assert 'data-testid="rows-enabler"' in text and "checkout-service" in text
    assert "Now used by Online shop (medium criticality)" in text
    assert "people join as members by invitation" in text  # a skipped User, and why
    assert "owned by the person user:jane.doe" in text  # a warning
    assert 'name="step" value="import"' in text
    # The choices offered are those of the kinds in the files, with sensible targets only.
    fields = [f.name for f in response.context["kind_fields"]]
    assert fields == ["group", "domain", "system", "component", "resource"]
    assert '<option value="offering">offerings</option>' in text
    assert snapshot(cast) == before


def test_import_writes_what_the_preview_showed_and_says_so(cast: Cast) -> None:
    preview = upload(cast, *SHOP)
    client = client_for(cast.leader)

    response = client.post(url(), carried(preview, step="import"), follow=True)

    assert response.redirect_chain == [("/o/acme/", 302)]
    text = response.content.decode()
    assert "Backstage import done: 16 created, 0 updated, 0 unchanged, 5 usages added" in text
    assert m.Enabler.objects.for_org(cast.world.org).filter(key="checkout-service").exists()
    assert "Backstage import: 16 created" in text  # the recent changes line


def test_a_second_upload_of_the_same_files_has_nothing_to_import(cast: Cast) -> None:
    client_for(cast.leader).post(url(), carried(upload(cast, *SHOP), step="import"))

    again = upload(cast, *SHOP)

    assert again.context["counts"].unchanged == 16
    assert 'data-testid="nothing-to-import"' in again.content.decode()
    assert 'value="import"' not in again.content.decode()


def test_a_bad_file_is_a_400_naming_file_and_line_and_writes_nothing(cast: Cast) -> None:
    before = snapshot(cast)

    response = upload(cast, "org.yaml", "broken.yaml", "missing-name.yaml")

    assert response.status_code == 400
    text = response.content.decode()
    assert "broken.yaml, document 2, line 16, column 14: not valid YAML" in text
    assert "missing-name.yaml, document 2 (line 10): metadata.name missing" in text
    assert "Nothing was changed." in text
    assert snapshot(cast) == before


def test_a_file_that_is_not_backstage_is_a_400(cast: Cast) -> None:
    response = upload(cast, "kubernetes.yaml")
    assert response.status_code == 400
    assert "kubernetes.yaml: not a Backstage descriptor file" in response.content.decode()


def test_files_of_the_same_name_are_told_apart_in_problems(cast: Cast) -> None:
    # Browsers send only a file's last name, and every Backstage repository calls its
    # file catalog-info.yaml.
    same_name = [
        SimpleUploadedFile("catalog-info.yaml", (FILES / name).read_bytes())
        for name in ("org.yaml", "missing-name.yaml")
    ]

    response = client_for(cast.leader).post(url(), {"step": "upload", "descriptors": same_name})

    assert response.status_code == 400
    assert (
        "catalog-info.yaml (2 of 2 with this name), document 2 (line 10): metadata.name missing"
    ) in response.content.decode()


def test_an_api_definition_among_the_files_is_a_400_saying_what_it_is(cast: Cast) -> None:
    before = snapshot(cast)

    response = upload(cast, *SHOP, "orders.oas.yaml")

    assert response.status_code == 400
    text = response.content.decode()
    assert "orders.oas.yaml, document 1 (line 3): an OpenAPI definition" in text
    assert snapshot(cast) == before


def test_no_file_or_a_binary_one_is_an_error_next_to_the_field(cast: Cast) -> None:
    client = client_for(cast.leader)
    empty = client.post(url(), {"step": "upload"})
    binary = client.post(
        url(),
        {"step": "upload", "descriptors": [SimpleUploadedFile("logo.png", b"\x89PNG\xff\xfe")]},
    )

    assert empty.status_code == binary.status_code == 400
    assert empty.context["form"].errors["descriptors"] == ["This field is required."]
    assert binary.context["form"].errors["descriptors"] == [
        "logo.png is not UTF-8 text: upload YAML descriptor files."
    ]


def test_files_larger_than_the_cap_are_refused(cast: Cast) -> None:
    big = SimpleUploadedFile("big.yaml", b"# padding\n" * (MAX_BYTES // 10 + 1))
    response = client_for(cast.leader).post(url(), {"step": "upload", "descriptors": [big]})
    assert response.status_code == 400
    assert "larger than 1 MB in all" in response.content.decode()


def test_changing_what_a_kind_becomes_shows_a_new_preview(cast: Cast) -> None:
    first = upload(cast, *SHOP)

    again = client_for(cast.leader).post(
        url(), carried(first, step="preview", component="offering", group="skip")
    )

    assert again.status_code == 200
    preview = again.context["preview"]
    assert {r.key for r in preview.rows_for("offering")} >= {"storefront", "checkout-service"}
    assert preview.rows_for("team") == []
    assert again.context["plan_form"].initial["component"] == "offering"
    assert '<option value="offering" selected>offerings</option>' in again.content.decode()


def test_importing_with_a_choice_not_previewed_writes_nothing(cast: Cast) -> None:
    first = upload(cast, *SHOP)
    before = snapshot(cast)

    response = client_for(cast.leader).post(
        url(), carried(first, step="import", resource="skip"), follow=True
    )

    assert response.status_code == 409
    assert "changed since that preview, so nothing was imported" in response.content.decode()
    assert snapshot(cast) == before


def test_a_tampered_or_foreign_payload_is_refused(cast: Cast) -> None:
    first = upload(cast, *SHOP)
    client = client_for(cast.leader)
    foreign = sign_files(cast.other.org, [("x.yaml", (FILES / "org.yaml").read_text())])
    before = snapshot(cast)

    tampered = client.post(
        url(),
        carried(
            first, step="import", payload=first.context["plan_form"].initial["payload"][:-3] + "abc"
        ),
    )
    other_org = client.post(url(), carried(first, step="import", payload=foreign))

    for response in (tampered, other_org):
        assert response.status_code == 400
        assert "could not be read back: upload them again" in response.content.decode()
    assert snapshot(cast) == before


def test_a_name_clash_shows_in_the_preview_and_blocks_the_import(cast: Cast) -> None:
    text = (
        b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: platform-people\n"
        b"  title: platform\nspec:\n  type: team\n  children: []\n"
    )
    response = client_for(cast.leader).post(
        url(), {"step": "upload", "descriptors": [SimpleUploadedFile("teams.yaml", text)]}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "already has that name" in content
    assert '<button type="submit" class="btn btn-primary" disabled>Import</button>' in content


def test_members_without_leadership_cannot_import(cast: Cast) -> None:
    owner = client_for(cast.owner)
    assert owner.get(url()).status_code == 403
    response = owner.post(url(), {"step": "upload", "descriptors": uploads("org.yaml")})
    assert response.status_code == 403
    assert client_for(cast.outsider).get(url()).status_code == 404


def test_a_name_taken_after_the_preview_stops_the_import_with_the_problem(cast: Cast) -> None:
    preview = upload(cast, *SHOP)
    m.Team.objects.create(organisation=cast.world.org, key="payers", name="Payments Team")
    before = snapshot(cast)

    response = client_for(cast.leader).post(url(), carried(preview, step="import"))

    assert response.status_code == 400
    assert "the team “Payments Team” (key payers) already has that name" in (
        response.content.decode()
    )
    assert snapshot(cast) == before
