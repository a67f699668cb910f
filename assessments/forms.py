"""Forms of the assessments app."""

from __future__ import annotations

from typing import Any

from django import forms

from catalogue.forms import form_helper

from .balance import THRESHOLD_NAMES, Thresholds

THRESHOLD_HELP = {
    "link_threshold": "Two journeys are linked when their overlap is at least this (0 to 1).",
    "group_across_max": "Group model: overlap between clusters must stay below this.",
    "group_across_ratio": "Group model: overlap between clusters at most this share of the overlap within them.",
    "stage_min_length": "Stage model: the mean number of offerings per journey is at least this.",
    "stage_min_overlap": "Stage model: the mean overlap of journeys is at least this.",
    "single_stage_min_length": "With one journey: stage when it has at least this many offerings.",
    "repeatable_reach": "Suggest repeatable when an enabler reaches at least this share of offerings.",
    "shared_bottleneck_teams": "Shared bottleneck: at least this many teams flag the same shared enabler.",
    "shared_bottleneck_pressure": "Shared bottleneck: with at least this much pressure (low 1, medium 2, high 3, blocking 5).",
    "efficiency_diversity": "Efficiency before coherence: journey diversity at least this.",
    "commonality_overlap": "Selective commonality: journeys this similar count as near.",
    "coverage_min": "Assessment coverage below this share is reported.",
}


class ThresholdsForm(forms.Form):
    """One field per threshold of the method, starting from the organisation's values."""

    def __init__(self, *args: Any, current: Thresholds, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = Thresholds().as_dict()
        for name in THRESHOLD_NAMES:
            default = defaults[name]
            label = name.replace("_", " ").capitalize()
            help_text = f"{THRESHOLD_HELP.get(name, '')} Default {default}."
            if isinstance(default, int) and not isinstance(default, bool):
                field: forms.Field = forms.IntegerField(
                    label=label, min_value=0, max_value=1000, help_text=help_text
                )
            else:
                field = forms.DecimalField(
                    label=label, min_value=0, max_value=1, decimal_places=4, help_text=help_text
                )
            field.initial = getattr(current, name)
            self.fields[name] = field
        self.helper = form_helper()

    def overrides(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in THRESHOLD_NAMES:
            value = self.cleaned_data[name]
            values[name] = float(value) if not isinstance(value, int) else value
        return values


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Organisation file",
        help_text="YAML or JSON in the enabling-model/1 format, at most 5 MB.",
    )
    replace = forms.BooleanField(
        required=False,
        label="Replace: remove items that are not in the file",
        help_text="Flags, assessments and decisions not in the file are removed too. "
        "History, reports and members are kept.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload
