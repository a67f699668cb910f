"""Forms of the spreadsheet import: the upload, and the confirmation of a preview."""

from __future__ import annotations

from typing import Any

from django import forms

from . import spreadsheets
from .forms import form_helper
from .spreadsheets import Sheet, SpreadsheetError


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet of enablers or usages",
        help_text=(
            "CSV (UTF-8) or Excel workbook (.xlsx), at most 2 MB and 5,000 rows; "
            "the first row names the columns."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": f".csv,.xlsx,text/csv,{spreadsheets.XLSX_TYPE}"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()
        self.sheet: Sheet | None = None

    def clean_file(self) -> Any:
        """Read the file here, so a problem with it shows next to the field."""
        upload = self.cleaned_data["file"]
        if upload.size > spreadsheets.MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB. Split it into smaller files and import them "
                "one after the other."
            )
        try:
            self.sheet = spreadsheets.recognise(spreadsheets.read_file(upload.read()))
        except SpreadsheetError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class SpreadsheetConfirmForm(forms.Form):
    """The previewed rows, signed by the server (see spreadsheets.seal)."""

    token = forms.CharField(widget=forms.HiddenInput)
