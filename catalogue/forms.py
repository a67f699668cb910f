"""Forms of the catalogue. Every choice of a related object is limited to the organisation,
so a reference into another organisation is refused as an invalid choice."""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Iterator
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Exists, Q, QuerySet, Value
from django.urls import reverse
from django.utils.safestring import mark_safe

from .models import (
    BusinessArea,
    Criticality,
    Enabler,
    Journey,
    JourneyStep,
    Keyed,
    Lifecycle,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    Touchpoint,
    key_validator,
)
from .permissions import can, team_ids


def form_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates own the <form> tag, its method and its buttons
    helper.disable_csrf = True
    return helper


class IdsField(forms.ModelMultipleChoiceField):
    """Several objects chosen by id. An id larger than any id column holds names nothing and
    is refused like any unknown choice (SQLite would raise OverflowError on it: a 500)."""

    def _check_values(self, value: Any) -> Any:
        try:
            return super()._check_values(value)
        except OverflowError:
            longest = max((str(v) for v in value), key=len, default="")
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": longest[:40]},
            ) from None


class OrgForm(forms.ModelForm):
    """A model form bound to one organisation: related choices come only from it."""

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        membership: Membership | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("instance") is not None:
            # Validation writes the submitted values into the instance, valid or not; the
            # view's item must keep its stored key and name for the page around the errors
            # (a blank key would break every link to it: a 500 instead of a 400).
            kwargs["instance"] = copy.copy(kwargs["instance"])
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.membership = membership
        self.instance.organisation = organisation
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.model.objects.for_org(organisation)
        self.helper = form_helper()


class KeyedForm(OrgForm):
    """Name and key unique within the organisation, checked next to the field."""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give it a name.")
        model: type[Keyed] = self._meta.model
        clash = model.objects.for_org(self.organisation).filter(name__iexact=name)  # type: ignore[attr-defined]
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"Another {model._meta.verbose_name} in this organisation is already called “{name}”.",
                code="taken",
            )
        return name

    def clean_key(self) -> str:
        key = self.cleaned_data.get("key", "").strip()
        if not key:
            return key
        model: type[Keyed] = self._meta.model
        clash = model.objects.for_org(self.organisation).filter(key=key)  # type: ignore[attr-defined]
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"The key “{key}” is already used by another {model._meta.verbose_name}.",
                code="taken",
            )
        return key


class BusinessAreaForm(KeyedForm):
    class Meta:
        model = BusinessArea
        fields = ["name", "key", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TeamForm(KeyedForm):
    class Meta:
        model = Team
        fields = ["name", "key", "kind", "business_area", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class VersionField(forms.IntegerField):
    """The version of the item the editor read, carried in a hidden input and sent back, so a
    save someone else made since refuses this one (409) instead of silently undoing it.
    Left out (a script, not the page): the save is not checked."""

    widget = forms.HiddenInput
    BAD = "Reload the page: the version sent with this form is not valid."

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        kwargs.setdefault(
            "error_messages", {"invalid": self.BAD, "min_value": self.BAD, "max_value": self.BAD}
        )
        super().__init__(**kwargs)


class VersionedForm(KeyedForm):
    """An edit form of a kind that counts its saves (offerings, journeys)."""

    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class OfferingForm(VersionedForm):
    class Meta:
        model = Offering
        fields = ["name", "key", "kind", "business_area", "team", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        membership = self.membership
        if membership is not None and not can(membership, "structure.edit"):
            # Team members edit their own teams' offerings and cannot hand them to others.
            self.fields["team"].queryset = self.fields["team"].queryset.filter(
                pk__in=team_ids(membership)
            )
            self.fields["team"].required = True


class TouchpointForm(KeyedForm):
    class Meta:
        model = Touchpoint
        fields = ["name", "key", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class JourneyForm(VersionedForm):
    class Meta:
        model = Journey
        fields = ["name", "key", "segment", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TagsField(forms.CharField):
    """Comma-separated tags stored as a list."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        # The list is stored as JSON, where the field's own NUL check no longer sees a NUL
        # (PostgreSQL then refuses the \u0000: a 500).
        ProhibitNullCharactersValidator()(text)
        tags = []
        for raw in text.split(","):
            tag = raw.strip().lower()
            if tag and tag not in tags:
                if len(tag) > 40:
                    raise forms.ValidationError(
                        f"The tag “{tag[:40]}…” is longer than 40 characters."
                    )
                tags.append(tag)
        if len(tags) > 20:
            raise forms.ValidationError("Use at most 20 tags.")
        return tags


class EnablerForm(KeyedForm):
    tags = TagsField(required=False, max_length=1000, help_text="Separate tags with commas.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Enabler
        fields = [
            "name",
            "key",
            "kind",
            "capability",
            "classification",
            "lifecycle",
            "owner_team",
            "description",
            "tags",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        membership = self.membership
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if membership is not None and not can(membership, "structure.edit"):
            # Below leadership, people log and edit enablers for their own teams only.
            mine = self.fields["owner_team"].queryset.filter(pk__in=team_ids(membership))
            if self.instance.owner_team_id:
                mine = self.fields["owner_team"].queryset.filter(
                    pk__in=team_ids(membership) | {self.instance.owner_team_id}
                )
            self.fields["owner_team"].queryset = mine
            if not membership.has_role(Role.ENABLER_OWNER):
                del self.fields["lifecycle"]  # team members' new enablers start as proposed
                self.instance.lifecycle = Lifecycle.PROPOSED

    def clean_version(self) -> int | None:
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise forms.ValidationError("Reload the page: the version of this enabler is missing.")
        return version


class EnablerFieldForm(forms.Form):
    """In-place change of an enabler's classification or lifecycle."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, field: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field = Enabler._meta.get_field(field)
        self.fields["value"] = forms.ChoiceField(
            label=str(model_field.verbose_name).capitalize(), choices=model_field.choices
        )


# Up to this many choices a pick is a list; beyond, a list would be megabytes of options
# that no one scrolls, so the item is typed (with suggestions as one types).
PICK_LIST_LIMIT = 100


def find_keyed(items: QuerySet, text: Any) -> Any:
    """The item of ``items`` that ``text`` names: its key, else its name (any case), else its
    id (sent by forms and scripts of before). None when nothing matches. One query."""
    text = str(text or "").strip()[:200]
    if not text or "\x00" in text:  # no item is called that; PostgreSQL refuses it in a query
        return None
    match = Q(key=text) | Q(name__iexact=text)
    if text.isascii() and text.isdigit() and len(text) < 16:
        match |= Q(pk=int(text))
    found = list(items.filter(match)[:3])
    for test in (
        lambda o: o.key == text,
        lambda o: o.name.lower() == text.lower(),
        lambda o: str(o.pk) == text,
    ):
        for item in found:
            if test(item):
                return item
    return None


def esc(value: Any) -> str:
    """Django's conditional_escape, without the check for lazy text on every call (a list
    of hundreds of options spent most of its time there): safe HTML as it is, anything
    else escaped as Django's escape() does."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def html_attrs(attrs: dict[str, Any]) -> str:
    """Django's ``django/forms/widgets/attrs.html`` (crispy's ``attrs.html`` too): False
    leaves the attribute out, True writes its name alone, anything else its text."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def listed(model: type[Keyed], organisation: Organisation) -> QuerySet:
    """The organisation's items of ``model`` by name, for a list to choose from: only what a
    list shows and a choice needs (key, name), not every column of each."""
    return (
        model.objects.for_org(organisation)  # type: ignore[attr-defined]
        .only("id", "organisation_id", "key", "name")
        .order_by("name")
    )


class ItemLists:
    """The organisation's short lists a page's filters choose from (its teams, its areas),
    read together in one query when the first of them is needed, each by name. Items carry
    only what a list shows and a choice needs (id, key, name); the rest is deferred."""

    FIELDS = ("id", "organisation_id", "key", "name")

    def __init__(self, organisation: Organisation, *models: type[Keyed]) -> None:
        self.organisation = organisation
        self.models = models
        self._lists: dict[type[Keyed], list[Keyed]] | None = None

    def of(self, model: type[Keyed]) -> list[Keyed]:
        if self._lists is None:
            self._lists = self._read()
        return self._lists[model]

    def _read(self) -> dict[type[Keyed], list[Keyed]]:
        parts = [
            model.objects.for_org(self.organisation)  # type: ignore[attr-defined]
            .annotate(list_number=Value(number))
            .values_list("list_number", *self.FIELDS)
            .order_by()  # the whole is ordered, not its parts
            for number, model in enumerate(self.models)
        ]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        # from_db takes the values in the model's own field order.
        orders = [
            [
                self.FIELDS.index(field.attname)
                for field in model._meta.concrete_fields
                if field.attname in self.FIELDS
            ]
            for model in self.models
        ]
        lists: dict[type[Keyed], list[Keyed]] = {model: [] for model in self.models}
        for number, *values in rows.order_by("list_number", "name"):
            model = self.models[number]
            in_order = [values[i] for i in orders[number]]
            lists[model].append(model.from_db(rows.db, self.FIELDS, in_order))
        return lists


class ListedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField choosing from a list read once (``items``, usually an ItemLists'
    list): its options and the check of a submitted value both come from that list, not a
    query each."""

    def __init__(self, *args: Any, items: Callable[[], list[Keyed]], **kwargs: Any) -> None:
        self.items = items
        super().__init__(*args, **kwargs)

    def _options(self) -> list[tuple[Any, Any]]:
        empty = [("", self.empty_label)] if self.empty_label is not None else []
        return empty + [
            (self.prepare_value(item), self.label_from_instance(item)) for item in self.items()
        ]

    @property  # type: ignore[override]
    def choices(self) -> Callable[[], list[tuple[Any, Any]]]:
        return self._options  # called when the options are shown, not before

    @choices.setter
    def choices(self, value: Any) -> None:
        raise TypeError("A ListedChoiceField's options come from its items")

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        name = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):  # type: ignore[union-attr]
            value = getattr(value, name)
        text = str(value)
        for item in self.items():
            if str(getattr(item, name)) == text:
                return item
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


def listed_choices(choices: Any) -> Iterator[tuple[Any, Any]]:
    """A widget's choices; a list of the organisation's items (ModelChoiceIterator) read with
    one plain query, not through the server-side cursor Django uses for it (on PostgreSQL:
    DECLARE, FETCH and CLOSE, three round trips for a list of a few hundred)."""
    if isinstance(choices, forms.models.ModelChoiceIterator):
        if choices.field.empty_label is not None:
            yield ("", choices.field.empty_label)
        for item in choices.queryset.all():
            yield choices.choice(item)
    else:
        yield from choices


class QuickSelect(forms.Select):
    """A select rendered in Python: the same HTML as Django's template (name, attributes,
    options, optgroups), without a template include per option, which made a page of
    assessment forms (three lists a row) spend most of its time rendering options."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        # Widget.get_context and ChoiceWidget.optgroups without a dictionary per option:
        # the first option whose value matches is selected, None is the empty value.
        chosen = set(self.format_value(value))
        found = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            return (
                f'<option value="{esc(text)}"{" selected" if selected else ""}>'
                f"{esc(label)}</option>"
            )

        parts = []
        for option_value, label in listed_choices(self.choices):
            if isinstance(label, (list, tuple)):
                inner = "".join(option(value, text) for value, text in label)
                parts.append(f'<optgroup label="{esc(option_value)}">{inner}</optgroup>')
            else:
                parts.append(option(option_value, label))
        final_attrs = self.build_attrs(self.attrs, attrs)
        # Every value above went through esc().
        return mark_safe(
            f'<select name="{esc(name)}"{html_attrs(final_attrs)}>{"".join(parts)}</select>'
        )


class QuickTextarea(forms.Textarea):
    """A text box rendered in Python: the same HTML as Django's textarea.html (a team's
    to-do list has one a row)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        final_attrs = self.build_attrs(self.attrs, attrs)
        text = self.format_value(value)
        return mark_safe(  # every value went through esc()
            f'<textarea name="{esc(name)}"{html_attrs(final_attrs)}>\n'
            f"{esc(text) if text else ''}</textarea>"
        )


def quick_selects(form: forms.Form) -> None:
    """Give every plain select of ``form`` a QuickSelect with the same attributes and choices
    (the list pages' filter forms: several lists of teams, areas and states each request)."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            quick = QuickSelect(attrs=dict(widget.attrs))
            quick.choices = getattr(field, "choices", widget.choices)
            quick.is_required = widget.is_required
            field.widget = quick


class PickInput(forms.TextInput):
    """A text box naming an item, with a list of suggestions htmx fills as one types; the
    page works without them (the name or key typed is enough)."""

    def __init__(self, *, suggest_url: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": "Type a name or key",
                "hx-get": suggest_url,
                "hx-trigger": "input changed delay:250ms",
                "hx-sync": "this:replace",
                # Set here, not inherited from the form around (which may target and swap
                # its own section, or push its address).
                "hx-swap": "innerHTML",
                "hx-push-url": "false",
                **(attrs or {}),
            }
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        options = f"{widget_attrs.get('id') or name}-options"
        widget_attrs.update({"list": options, "hx-target": f"#{options}"})
        return context

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        # Django's input.html, in Python (the filter forms and the usage form have one).
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{esc(widget["value"])}"'
        options = f"{(attrs or {}).get('id') or name}-options"
        return mark_safe(  # every value went through esc()
            f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}'
            f'{html_attrs(widget["attrs"])}><datalist id="{esc(options)}"></datalist>'
        )


def beyond_a_list(items: QuerySet) -> Exists:
    """Whether ``items`` are more than a pick list shows (PICK_LIST_LIMIT): an expression to
    annotate a query the page makes anyway, so it learns this without a query of its own
    (PickField's ``listed``)."""
    return Exists(items.order_by().values("pk")[PICK_LIST_LIMIT : PICK_LIST_LIMIT + 1])


class PickField(forms.Field):
    """One item of ``items`` (scoped to the organisation): a list while there are at most
    ``PICK_LIST_LIMIT``, else a text box taking its key or name. Choosing costs one query
    either way, so a page's count does not change with the size. ``listed``: whether it is
    a list, where the page knows already (``beyond_a_list``); a text box then costs none."""

    default_error_messages = {
        # Django's own words while it is a list (as a ModelChoiceField says them).
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"],
        "invalid_name": "No %(kind)s you can choose here is called “%(value)s”; "
        "check the name or key.",
        "required": "Choose %(article)s %(kind)s.",
    }

    def __init__(
        self,
        *,
        items: QuerySet,
        kind: str,
        suggest_url: str,
        empty_label: str,
        listed: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.items = items
        self.kind = kind
        choices = (
            list(items.order_by("name").values_list("key", "name")[: PICK_LIST_LIMIT + 1])
            if listed is not False
            else []
        )
        self.listed = listed is not False and len(choices) <= PICK_LIST_LIMIT
        widget: forms.Widget = (
            forms.Select(choices=[("", empty_label), *choices])
            if self.listed
            else PickInput(suggest_url=suggest_url)
        )
        super().__init__(widget=widget, **kwargs)
        if not self.listed:
            self.help_text = self.help_text or f"Type the {kind}’s name or key."

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        found = find_keyed(self.items, value)
        if found is None:
            code = "invalid_choice" if self.listed else "invalid_name"
            raise forms.ValidationError(
                self.error_messages[code],
                code=code,
                params={"kind": self.kind, "value": str(value)[:60]},
            )
        return found

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            article = "an" if self.kind[0] in "aeiou" else "a"
            raise forms.ValidationError(
                self.error_messages["required"],
                code="required",
                params={"kind": self.kind, "article": article},
            )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Keyed):
            return value.key if self.listed else value.name
        return value


def suggest_url(organisation: Organisation, kind: str, *, own: bool = False) -> str:
    url = reverse(f"catalogue:{kind}_suggest", args=[organisation.slug])
    return f"{url}?scope=own" if own else url


def pickable_offerings(organisation: Organisation, membership: Membership) -> QuerySet:
    """The offerings the member may add a usage to: any for leadership, else their teams'."""
    offerings = Offering.objects.for_org(organisation)
    if can(membership, "structure.edit"):
        return offerings
    return offerings.filter(team_id__in=team_ids(membership))


class UsageForm(forms.Form):
    """Add a usage; from an enabler's page pick the offering, from an offering's the enabler.
    ``listed``: whether the pick is a list, where the page knows (PickField)."""

    criticality = forms.ChoiceField(
        choices=Criticality.choices, initial=Criticality.MEDIUM, widget=QuickSelect
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        membership: Membership,
        pick: str,
        listed: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if pick == "offering":
            own = not can(membership, "structure.edit")
            self.fields["offering"] = PickField(
                items=pickable_offerings(organisation, membership),
                kind="offering",
                suggest_url=suggest_url(organisation, "offering", own=own),
                empty_label="Choose an offering",
                listed=listed,
            )
        else:
            self.fields["enabler"] = PickField(
                items=Enabler.objects.for_org(organisation),
                kind="enabler",
                suggest_url=suggest_url(organisation, "enabler"),
                empty_label="Choose an enabler",
                listed=listed,
            )
        self.order_fields([pick, "criticality"])
        self.helper = form_helper()
        # Bootstrap's classes on the controls themselves: the enabler's page writes this
        # form out field by field (it is never shown there with errors), not through crispy.
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StepForm(OrgForm):
    class Meta:
        model = JourneyStep
        fields = ["name", "offering", "touchpoints"]
        field_classes = {"touchpoints": IdsField}
        widgets = {"touchpoints": forms.CheckboxSelectMultiple}
        help_texts = {"touchpoints": "The shared points of interaction this step passes."}

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        offerings_listed: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        # Any offering of the organisation, listed or typed (see PickField).
        self.fields["offering"] = PickField(
            items=Offering.objects.for_org(organisation),
            kind="offering",
            suggest_url=suggest_url(organisation, "offering"),
            empty_label="---------",
            label="Offering",
            listed=offerings_listed,
        )
        # Every touchpoint is a checkbox: read only what a checkbox shows.
        self.fields["touchpoints"].queryset = listed(Touchpoint, organisation)  # type: ignore[attr-defined]
        self.order_fields(["name", "offering", "touchpoints"])


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "delivery_model", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class NewOrganisationForm(forms.ModelForm):
    admin_email = forms.EmailField(
        label="First admin's email",
        help_text="An existing account with this email becomes admin; anyone else is invited.",
    )

    class Meta:
        model = Organisation
        fields = ["name", "slug", "delivery_model", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].validators.append(key_validator)
        self.helper = form_helper()


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.TEAM_MEMBER)
    teams = IdsField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["teams"].queryset = Team.objects.for_org(organisation).order_by("name")
        self.helper = form_helper()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        already = Membership.objects.for_org(self.organisation).filter(user__email__iexact=email)
        if already.exists():
            raise forms.ValidationError("This person is already a member of this organisation.")
        return email


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    teams = IdsField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.for_org(organisation).order_by("name")
        self.helper = form_helper()


class TeamMemberAddForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Member")

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = (
            Membership.objects.for_org(team.organisation)
            .exclude(team_memberships__team=team)
            .select_related("user")
        )
        self.fields["membership"].label_from_instance = lambda m: (
            m.user.get_full_name() or m.user.get_username()
        )
        self.helper = form_helper()


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
    )
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = form_helper()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken; choose another.")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            user = get_user_model()(username=data.get("username", ""), email=self.email)
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class TokenForm(forms.Form):
    VALIDITY = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "No expiry")]

    name = forms.CharField(
        max_length=100,
        error_messages={"required": "Give the token a name."},
        help_text="What it is for, so you can tell your tokens apart (for example “Backstage sync”).",
    )
    valid_days = forms.TypedChoiceField(
        label="Valid for",
        choices=VALIDITY,
        initial="90",
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
