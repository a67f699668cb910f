"""Forms of the assessments app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q

from catalogue.forms import QuickSelect, QuickTextarea, VersionField, form_helper
from catalogue.models import (
    Classification,
    Enabler,
    Journey,
    Lifecycle,
    Offering,
    Organisation,
    Team,
)

from .balance import THRESHOLD_NAMES, Thresholds
from .models import (
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionStatus,
    FlagStatus,
    Severity,
)
from .services import DecisionDraft

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


# --- rounds and assessments -----------------------------------------------------------------

FIT_CHOICES = [
    (1, "1 · gets in our way"),
    (2, "2 · poor fit"),
    (3, "3 · adequate"),
    (4, "4 · good fit"),
    (5, "5 · exactly what we need"),
]
PACE_CHOICES = [
    (-2, "−2 · slows us a lot"),
    (-1, "−1 · slows us"),
    (0, "0 · no effect"),
    (1, "+1 · speeds us up"),
    (2, "+2 · speeds us up a lot"),
]


class RoundForm(forms.Form):
    name = forms.CharField(
        max_length=200, help_text="For example “2026 Q4”.", widget=forms.TextInput()
    )
    due_on = forms.DateField(
        label="Due date",
        required=False,
        # <input type="date"> only reads ISO dates; the en-GB default would be 02/01/2030.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Optional. Teams with enablers left to assess are reminded a few days before.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class AssessmentForm(forms.Form):
    # QuickSelect: a team's to-do list shows one of these forms a row.
    fit = forms.TypedChoiceField(
        choices=FIT_CHOICES,
        coerce=int,
        help_text="How well it fits what your team needs.",
        widget=QuickSelect,
    )
    pace = forms.TypedChoiceField(
        label="Effect on pace",
        choices=PACE_CHOICES,
        coerce=int,
        help_text="What it does to how fast your team delivers.",
        widget=QuickSelect,
    )
    preferred = forms.ChoiceField(
        label="Preferred classification",
        required=False,
        choices=[("", "No preference"), *Classification.choices],
        help_text="How you think it should be run: the same everywhere, shared, or your own.",
        widget=QuickSelect,
    )
    comment = forms.CharField(
        required=False, max_length=5000, widget=QuickTextarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


# --- bottleneck flags -----------------------------------------------------------------------


class FlagForm(forms.Form):
    """Raise a flag. Choices come from the organisation; ``teams`` are those the person may
    flag for."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), label="Raised by team", to_field_name="key"
    )
    enabler = forms.ModelChoiceField(queryset=Enabler.objects.none(), to_field_name="key")
    offering = forms.ModelChoiceField(
        queryset=Offering.objects.none(),
        required=False,
        to_field_name="key",
        empty_label="No particular offering",
        help_text="Optional: the product or service it held up.",
    )
    journey = forms.ModelChoiceField(
        queryset=Journey.objects.none(),
        required=False,
        to_field_name="key",
        empty_label="No particular journey",
        label="Customer journey",
        help_text="Optional: the customer journey it affected.",
    )
    severity = forms.ChoiceField(
        choices=Severity.choices,
        initial=Severity.MEDIUM,
        help_text="Blocking: you cannot deliver until it is fixed.",
    )
    summary = forms.CharField(max_length=200, help_text="One line: what slows you down.")
    details = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened, how often, and what it costs your team.",
    )

    def __init__(self, *args: Any, organisation: Organisation, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["enabler"].queryset = (  # type: ignore[attr-defined]
            Enabler.objects.for_org(organisation).order_by("name")
        )
        self.fields["offering"].queryset = (  # type: ignore[attr-defined]
            Offering.objects.for_org(organisation).order_by("name")
        )
        self.fields["journey"].queryset = (  # type: ignore[attr-defined]
            Journey.objects.for_org(organisation).order_by("name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, enabler, offering = data.get("team"), data.get("enabler"), data.get("offering")
        if enabler is not None and enabler.lifecycle not in (Lifecycle.PROPOSED, Lifecycle.ACTIVE):
            self.add_error(
                "enabler",
                f"{enabler.name} is {enabler.get_lifecycle_display().lower()}: flags count only "
                "on proposed and active enablers.",
            )
        if team is not None and offering is not None and offering.team_id != team.pk:
            self.add_error(
                "offering", f"Choose one of {team.name}'s offerings, or no particular offering."
            )
        return data


class FlagNoteForm(forms.Form):
    """Acknowledge, resolve or reopen with a note; ``flag`` is the flag as the page shows it,
    whose version the form carries back (a step taken on an older copy is refused)."""

    note = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what you are doing about it, or why.",
    )
    version = VersionField()

    def __init__(self, *args: Any, flag: BottleneckFlag | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if flag is not None:
            self.fields["version"].initial = flag.version
        self.helper = form_helper()


class DecideForm(forms.Form):
    """The accept and reject buttons: the version of the decision the page showed."""

    version = VersionField()


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


CHANGE_ROWS = 5


class ChangeRowsMixin(forms.Form):
    """Rows of "this enabler becomes that classification", shared by the what-if and the
    decision form: an enabler is typed by key or by name (a datalist suggests names), and
    each row's problem is shown next to it."""

    def add_change_rows(
        self, enablers: Iterable[tuple[str, str, str]], *, datalist: str, to_label: str
    ) -> None:
        """``enablers``: (key, name, classification) of those a row may name."""
        self.change_enablers = {key: (name, cls) for key, name, cls in enablers}
        self._change_names = {
            name.strip().lower(): key for key, (name, _) in self.change_enablers.items()
        }
        self.datalist = datalist
        for row in range(1, CHANGE_ROWS + 1):
            self.fields[f"enabler_{row}"] = forms.CharField(
                label=f"Enabler {row}",
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"list": datalist, "autocomplete": "off"}),
            )
            self.fields[f"to_{row}"] = forms.ChoiceField(
                label=f"{to_label} ({row})",
                required=False,
                choices=[("", "Choose…"), *Classification.choices],
            )

    def change_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"enabler_{n}"], self[f"to_{n}"]) for n in range(1, CHANGE_ROWS + 1)]

    def clean_change_rows(self, cleaned: dict[str, Any], *, becomes: str) -> dict[str, str]:
        """The rows as key → new classification; problems are added next to their row."""
        changes: dict[str, str] = {}
        for row in range(1, CHANGE_ROWS + 1):
            typed = (cleaned.get(f"enabler_{row}") or "").strip()
            to = cleaned.get(f"to_{row}") or ""
            if not typed and not to:
                continue
            if not typed:
                self.add_error(f"enabler_{row}", "Choose the enabler to change.")
                continue
            key = typed if typed in self.change_enablers else self._change_names.get(typed.lower())
            if key is None:
                self.add_error(
                    f"enabler_{row}",
                    f"No proposed or active enabler is called “{typed}”. Pick one from the list.",
                )
                continue
            name, declared = self.change_enablers[key]
            if not to:
                self.add_error(f"to_{row}", f"Choose what {name} {becomes}.")
            elif key in changes:
                self.add_error(f"enabler_{row}", f"{name} is already changed above.")
            elif to == declared:
                self.add_error(f"to_{row}", f"{name} is already {declared}.")
            else:
                changes[key] = to
        return changes


class WhatIfForm(ChangeRowsMixin):
    """Up to five live enablers, each with the classification it would have (a GET form:
    nothing is stored, and the address can be shared)."""

    def __init__(self, *args: Any, enablers: list[tuple[str, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_change_rows(enablers, datalist="what-if-enablers", to_label="Would become")
        self.changes: dict[str, str] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.changes = self.clean_change_rows(cleaned, becomes="would become")
        if not self.changes and not self.errors:
            raise forms.ValidationError("Choose at least one enabler and what it would become.")
        return cleaned


# --- decisions -----------------------------------------------------------------------------


def _text(label: str, help_text: str = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class DecisionForm(ChangeRowsMixin):
    """Propose or edit a decision. Choices come from the organisation; ``decision`` is the
    one being edited (it cannot supersede itself). ``clean()`` leaves a ``DecisionDraft`` in
    ``self.draft``."""

    title = forms.CharField(max_length=200, help_text="One line: what is decided.")
    context = _text("Context", "What is happening, and why a decision is needed.")
    options = _text("Options considered", "The choices weighed, with what speaks for each.")
    decision = _text("The decision", "What will be done.")
    consequences = _text("Consequences", "What becomes easier, and what becomes harder.")
    review_on = forms.DateField(
        label="Review date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Optional. The proposer and leadership are reminded once it has passed.",
    )
    enablers = forms.ModelMultipleChoiceField(
        queryset=Enabler.objects.none(),
        to_field_name="key",
        required=False,
        label="Enablers affected",
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Enablers changed or merged below are added for you.",
    )
    flags = forms.ModelMultipleChoiceField(
        queryset=BottleneckFlag.objects.none(),
        to_field_name="key",
        required=False,
        label="Bottleneck flags that motivated it",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    supersedes = forms.ModelChoiceField(
        queryset=Decision.objects.none(),
        to_field_name="key",
        required=False,
        empty_label="Nothing",
        help_text="A proposed or accepted decision this one replaces once accepted.",
    )
    merge_into = forms.ModelChoiceField(
        queryset=Enabler.objects.none(),
        to_field_name="key",
        required=False,
        label="Merge into",
        empty_label="No merge",
        help_text="On acceptance the enablers below move their usages, flags and assessments "
        "to this one, which becomes common, and are retired.",
    )
    merge_from = forms.ModelMultipleChoiceField(
        queryset=Enabler.objects.none(),
        to_field_name="key",
        required=False,
        label="Enablers merged into it",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    report = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        decision: Decision | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if decision is not None:
            self.fields["version"].initial = decision.version
        enablers = Enabler.objects.for_org(organisation).order_by("name")
        live = enablers.filter(lifecycle__in=(Lifecycle.PROPOSED, Lifecycle.ACTIVE))
        self.fields["enablers"].queryset = enablers  # type: ignore[attr-defined]
        self.fields["merge_into"].queryset = live  # type: ignore[attr-defined]
        self.fields["merge_from"].queryset = live  # type: ignore[attr-defined]
        flags = BottleneckFlag.objects.for_org(organisation).filter(
            status__in=(FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)
        )
        if decision is not None:  # the flags it already names stay choosable once resolved
            flags = BottleneckFlag.objects.for_org(organisation).filter(
                Q(pk__in=flags.values("pk")) | Q(pk__in=decision.flags.values("pk"))
            )
        self.fields["flags"].queryset = flags.select_related("enabler").order_by(  # type: ignore[attr-defined]
            "-raised_at"
        )
        self.fields["flags"].label_from_instance = (  # type: ignore[attr-defined]
            lambda flag: f"{flag.summary} ({flag.enabler.name})"
        )
        superseding = Decision.objects.for_org(organisation).filter(
            status__in=(DecisionStatus.PROPOSED, DecisionStatus.ACCEPTED)
        )
        if decision is not None:
            superseding = superseding.exclude(pk=decision.pk)
        self.fields["supersedes"].queryset = superseding.order_by("-number")  # type: ignore[attr-defined]
        self.live = {e.key: e for e in live}
        self.add_change_rows(
            ((e.key, e.name, e.classification) for e in self.live.values()),
            datalist="decision-enablers",
            to_label="Becomes",
        )
        self.helper = form_helper()
        self.draft: DecisionDraft | None = None

    def clean_report(self) -> BalanceReport | None:
        report_id = self.cleaned_data.get("report")
        if not report_id:
            return None
        # Hidden, carried from the report a decision was started from: one that is gone (or
        # never was this organisation's) is dropped rather than shown as an error.
        try:
            return BalanceReport.objects.for_org(self.organisation).filter(pk=report_id).first()
        except (OverflowError, ValueError):
            return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        changes = self.clean_change_rows(cleaned, becomes="becomes")
        if self.errors:
            return cleaned
        self.draft = DecisionDraft(
            title=cleaned["title"],
            context=cleaned.get("context", ""),
            options=cleaned.get("options", ""),
            decision=cleaned.get("decision", ""),
            consequences=cleaned.get("consequences", ""),
            review_on=cleaned.get("review_on"),
            enablers=tuple(cleaned.get("enablers") or ()),
            changes=tuple((self.live[key], to) for key, to in changes.items()),
            flags=tuple(cleaned.get("flags") or ()),
            report=cleaned.get("report"),
            supersedes=cleaned.get("supersedes"),
            merge_into=cleaned.get("merge_into"),
            merge_from=tuple(cleaned.get("merge_from") or ()),
        )
        return cleaned
