"""Forms of the Backstage import: the upload, and the preview's choices carried to the import.

Between the preview and the import the uploaded text travels in a hidden field, signed
(and compressed) by the server, so the import reads exactly the files that were previewed
and nobody can slip other text in. The signature is tied to the organisation and expires.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing

from .backstage import CHOICES, PLURALS, Target, mapping_with
from .forms import form_helper
from .models import Organisation

MAX_FILES = 100  # Django refuses more than 100 uploaded files per request anyway
MAX_BYTES = 1_000_000  # all files together; far more than a catalogue's descriptors
SIGNED_FOR_SECONDS = 60 * 60
SALT = "catalogue.backstage-import"


def sign_files(organisation: Organisation, files: list[tuple[str, str]]) -> str:
    """The files (name, text) as a signed, compressed token for a hidden field."""
    return signing.dumps(
        {"organisation": organisation.pk, "files": files}, salt=SALT, compress=True
    )


def unsign_files(organisation: Organisation, token: str) -> list[tuple[str, str]]:
    """The files of a token made by ``sign_files`` for this organisation; BadSignature
    (SignatureExpired after an hour) otherwise."""
    data = signing.loads(token, salt=SALT, max_age=SIGNED_FOR_SECONDS)
    if not isinstance(data, dict) or data.get("organisation") != organisation.pk:
        raise signing.BadSignature("Signed for another organisation")
    return [(str(name), str(text)) for name, text in data["files"]]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented way: clean each of them)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:  # no file chosen: the browser sends none at all
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class BackstageUploadForm(forms.Form):
    descriptors = MultipleFileField(
        label="Descriptor files",
        help_text=f"Backstage catalog-info.yaml files (YAML, several entities each). Up to "
        f"{MAX_FILES} files and {MAX_BYTES // 1_000_000} MB in all.",
        widget=MultipleFileInput(attrs={"accept": ".yaml,.yml"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def clean_descriptors(self) -> list[tuple[str, str]]:
        uploads = self.cleaned_data["descriptors"]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(f"At most {MAX_FILES} files at a time.")
        found: list[tuple[str, str]] = []
        total = 0
        for upload in uploads:
            data = upload.read(MAX_BYTES + 1)
            total += len(data)
            if total > MAX_BYTES:
                raise forms.ValidationError(
                    f"The files are larger than {MAX_BYTES // 1_000_000} MB in all: "
                    "import them in smaller parts."
                )
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    f"{upload.name} is not UTF-8 text: upload YAML descriptor files."
                ) from None
            found.append((upload.name, text))
        return found


class BackstagePlanForm(forms.Form):
    """The previewed files (signed), the digest of the preview shown, and what each kind
    becomes. Fields for every choosable kind; the page shows those present."""

    payload = forms.CharField(widget=forms.HiddenInput)
    digest = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        for kind, targets in CHOICES.items():
            self.fields[kind.lower()] = forms.ChoiceField(
                label=f"{PLURALS[kind]} become",
                choices=[(t.value, _choice_label(t)) for t in targets],
                required=False,
                initial=targets[0].value,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        self.helper = form_helper()

    def clean_payload(self) -> list[tuple[str, str]]:
        try:
            return unsign_files(self.organisation, self.cleaned_data["payload"])
        except signing.SignatureExpired:
            raise forms.ValidationError(
                "This preview is more than an hour old: upload the files again."
            ) from None
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                "The previewed files could not be read back: upload them again."
            ) from None

    def mapping(self) -> dict[str, Target]:
        chosen = {kind: self.cleaned_data.get(kind.lower()) or "" for kind in CHOICES}
        return mapping_with({kind: target for kind, target in chosen.items() if target})

    def kind_fields(self, kinds: list[str]) -> list[forms.BoundField]:
        return [self[kind.lower()] for kind in kinds]


def _choice_label(target: Target) -> str:
    return "skip (do not import)" if target is Target.SKIP else f"{target.label}s"
