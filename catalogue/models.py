"""What exists in an organisation: members and roles, areas, teams, offerings, touchpoints,
customer journeys, enablers and the usages that tie enablers to offerings."""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import lru_cache

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Cast, Concat, Lower, Upper
from django.urls import get_script_prefix, get_urlconf, reverse
from simple_history.models import HistoricalRecords

from .tenancy import OrgScopedManager

KEY_MAX_LENGTH = 64
key_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens (for example food-digital).",
)


class DeliveryModel(models.TextChoices):
    GROUP = "group", "Group"
    TRACK = "track", "Track"
    STAGE = "stage", "Stage"


class Role(models.TextChoices):
    # Ordered from most to least powerful; each role can do everything below it.
    ADMIN = "admin", "Admin"
    LEADERSHIP = "leadership", "Leadership"
    ENABLER_OWNER = "enabler_owner", "Enabler owner"
    TEAM_MEMBER = "team_member", "Team member"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {
    Role.VIEWER: 0,
    Role.TEAM_MEMBER: 1,
    Role.ENABLER_OWNER: 2,
    Role.LEADERSHIP: 3,
    Role.ADMIN: 4,
}


class Organisation(models.Model):
    # Not unique: a clash would tell one organisation that another exists. The slug is the id.
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=KEY_MAX_LENGTH,
        unique=True,
        validators=[key_validator],
        help_text="Used in addresses: lowercase letters, digits and hyphens.",
    )
    delivery_model = models.CharField(
        "declared delivery model",
        max_length=10,
        choices=DeliveryModel.choices,
        blank=True,
        help_text="Leave empty while the delivery model is not yet declared.",
    )
    description = models.TextField(blank=True, max_length=5000)
    # Balance thresholds that differ from the method's defaults (names as in the method);
    # validated where the method lives (assessments), which catalogue does not import.
    balance_settings = models.JSONField(default=dict, blank=True)
    # Goes up by one in the same transaction as every change to something the balance
    # method reads; a balance report records the generation it was computed from, so a
    # report is stale exactly when its generation is below this one.
    generation = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalogue:home", args=[self.slug])

    @property
    def delivery_model_label(self) -> str:
        return self.get_delivery_model_display() if self.delivery_model else "Not yet declared"


# The organisation of the request being served (set by the org_view decorator), so links
# to its items are built without loading each item's organisation again.
current_organisation: ContextVar[Organisation | None] = ContextVar(
    "current_organisation", default=None
)


def org_slug(item: OrgOwned) -> str:
    current = current_organisation.get()
    if current is not None and current.pk == item.organisation_id:
        return current.slug
    return item.organisation.slug


class OrgOwned(models.Model):
    """Base for everything that belongs to exactly one organisation.

    References between items use RESTRICT, not PROTECT: an item still referred to cannot be
    deleted on its own, yet deleting the whole organisation cascades through all of them.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    objects = OrgScopedManager()

    class Meta:
        abstract = True


class Keyed(OrgOwned):
    """An organisation-owned entity with a key and a name, both unique in the organisation."""

    key = models.CharField(
        max_length=KEY_MAX_LENGTH,
        validators=[key_validator],
        blank=True,
        help_text="Used in addresses. Leave empty to make one from the name.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    url_name = ""

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return keyed_url(f"catalogue:{self.url_name}_detail", org_slug(self), self.key)


# What Django's <slug:...> path converter takes.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_KEY_STANDIN = "0keyed0url0"
_ID_STANDIN = 918273645546372819


@lru_cache(maxsize=4096)
def _around_key(
    view_name: str, slug: str, number: bool, prefix: str, urlconf: str | None
) -> tuple[str, str]:
    standin = _ID_STANDIN if number else _KEY_STANDIN
    before, _, after = reverse(view_name, args=[slug, standin]).rpartition(str(standin))
    return before, after


def keyed_url(view_name: str, slug: str, key: str | int) -> str:
    """``reverse(view_name, args=[slug, key])`` for a view at ``.../<org slug>/.../<key>/``
    (``<slug:key>``, or ``<int:...>`` for a number), its address around the key worked out
    once per organisation: a list page links every row, and reverse() for each link was a
    good share of the page's time."""
    number = isinstance(key, int) and not isinstance(key, bool)
    fits = key >= 0 if number else isinstance(key, str) and bool(_SLUG.fullmatch(key))  # type: ignore[operator]
    if not fits:
        return reverse(view_name, args=[slug, key])  # raises NoReverseMatch, as before
    before, after = _around_key(view_name, slug, number, get_script_prefix(), get_urlconf())
    return f"{before}{key}{after}"


def keyed_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["organisation", "key"], name=f"{prefix}_unique_key"),
        models.UniqueConstraint(Lower("name"), "organisation", name=f"{prefix}_unique_name"),
    ]


class Membership(OrgOwned):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation_id} as {self.role}"

    @property
    def rank(self) -> int:
        return ROLE_RANK[Role(self.role)]

    def has_role(self, role: str) -> bool:
        return self.rank >= ROLE_RANK[Role(role)]


class BusinessArea(Keyed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="business_areas"
    )
    url_name = "area"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("area")


class TeamKind(models.TextChoices):
    DELIVERY = "delivery", "Delivery"
    PLATFORM = "platform", "Platform"
    ENABLING = "enabling", "Enabling"
    LEADERSHIP = "leadership", "Leadership"


class Team(Keyed):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.DELIVERY)
    business_area = models.ForeignKey(
        BusinessArea, on_delete=models.RESTRICT, null=True, blank=True, related_name="teams"
    )
    url_name = "team"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("team")


class TeamMembership(OrgOwned):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_memberships")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="team_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "membership"], name="team_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"membership {self.membership_id} in team {self.team_id}"


class OfferingKind(models.TextChoices):
    PRODUCT = "product", "Product"
    SERVICE = "service", "Service"


class Offering(Keyed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="offerings"
    )
    kind = models.CharField(
        max_length=10, choices=OfferingKind.choices, default=OfferingKind.SERVICE
    )
    business_area = models.ForeignKey(
        BusinessArea, on_delete=models.RESTRICT, null=True, blank=True, related_name="offerings"
    )
    team = models.ForeignKey(
        Team,
        verbose_name="owning team",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="offerings",
    )
    # Goes up by one with each saved change: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    url_name = "offering"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("offering")
        # Lists by name (the offering list, the pick list of the usage and step forms)
        # read in index order and stop after a page.
        indexes = [models.Index(fields=["organisation", "name"])]


class Touchpoint(Keyed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="touchpoints"
    )
    url_name = "touchpoint"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("touchpoint")


class Journey(Keyed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="journeys"
    )
    segment = models.CharField("customer segment", max_length=200, blank=True)
    # Goes up by one with each saved change (steps included): stale edits are refused.
    version = models.PositiveIntegerField(default=1)
    url_name = "journey"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("journey")


class JourneyStep(OrgOwned):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    offering = models.ForeignKey(Offering, on_delete=models.RESTRICT, related_name="journey_steps")
    touchpoints = models.ManyToManyField(Touchpoint, blank=True, related_name="journey_steps")

    class Meta:
        ordering = ["journey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "position"], name="step_unique_position"),
        ]

    def __str__(self) -> str:
        return self.name


class EnablerKind(models.TextChoices):
    INTERNAL_SERVICE = "internal_service", "Internal service"
    PLATFORM = "platform", "Platform"
    CAPABILITY = "capability", "Capability"
    DATA = "data", "Data"
    SKILLSET = "skillset", "Skillset"


class Classification(models.TextChoices):
    REPEATABLE = "repeatable", "Repeatable"
    COMMON = "common", "Common"
    INDEPENDENT = "independent", "Independent"


class Lifecycle(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


class Enabler(Keyed):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="enablers"
    )
    kind = models.CharField(max_length=20, choices=EnablerKind.choices)
    capability = models.CharField(
        "capability label",
        max_length=100,
        blank=True,
        help_text="What it does, in a word or two (for example payments).",
    )
    classification = models.CharField(
        max_length=12, choices=Classification.choices, default=Classification.INDEPENDENT
    )
    lifecycle = models.CharField(max_length=12, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    owner_team = models.ForeignKey(
        Team,
        verbose_name="owning team",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="enablers",
    )
    tags = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the list's search box looks in, upper-cased, kept by the database: one column to
    # match instead of five, and one the database keeps statistics on, so it can tell how
    # many enablers a word will find and plan the rest of the query to suit.
    search_text = models.GeneratedField(
        expression=Upper(
            Concat(
                "key",
                models.Value("\n"),
                "name",
                models.Value("\n"),
                "capability",
                models.Value("\n"),
                "description",
                models.Value("\n"),
                Cast("tags", models.TextField()),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "created_at", "search_text"])
    url_name = "enabler"

    class Meta(Keyed.Meta):
        constraints = keyed_constraints("enabler")
        indexes = [
            models.Index(fields=["organisation", "kind"]),
            models.Index(fields=["organisation", "classification"]),
            models.Index(fields=["organisation", "lifecycle"]),
            # The list's order: read in name order and stop after a page, not sort them all.
            models.Index(fields=["organisation", "name"]),
        ]

    @property
    def tags_display(self) -> str:
        return ", ".join(self.tags or [])


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class EnablerUsage(OrgOwned):
    enabler = models.ForeignKey(Enabler, on_delete=models.CASCADE, related_name="usages")
    offering = models.ForeignKey(Offering, on_delete=models.RESTRICT, related_name="usages")
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offering__name"]
        constraints = [
            models.UniqueConstraint(fields=["enabler", "offering"], name="usage_unique_pair"),
        ]
        indexes = [
            # A team's to-do and the area filter pick usages by offering within the
            # organisation: without it PostgreSQL read all of the organisation's usages
            # (50,000 at the reference size, 12 ms) to keep a few hundred.
            models.Index(fields=["organisation", "offering", "enabler"], name="usage_org_offering"),
        ]

    def __str__(self) -> str:
        return f"{self.offering} uses {self.enabler}"


class Invitation(OrgOwned):
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TEAM_MEMBER)
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"


class ChangeRecord(OrgOwned):
    """A line in the organisation's recent changes (shown on the organisation home)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "-at"])]

    def __str__(self) -> str:
        return self.summary


class ApiToken(OrgOwned):
    """A personal token for the API, for one organisation; it acts with its owner's role there.

    Only a SHA-256 hash of the token is stored; the token itself is shown once, when made.
    Removing the membership removes its tokens, and a role change applies to them at once
    (the role is read from the membership on every call).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100, help_text="What the token is for, for example “Backstage sync”."
    )
    prefix = models.CharField(max_length=12, help_text="The start of the token, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token “{self.name}” ({self.prefix}…)"


class AuditKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGOUT = "logout", "Signed out"
    PASSWORD_RESET = "password_reset", "Password reset"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    PERMISSION_DENIED = "permission_denied", "Permission denied"


class AuditEvent(models.Model):
    """Who did what to accounts and access, and when: kept for admins to review.

    Sign-ins belong to no organisation (``organisation`` is empty); admins see those of
    their own members. Role changes, removals and permission denials name the organisation.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=AuditKind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # as typed, for failed sign-ins
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    # Scoped like every organisation-owned model; site-wide sign-in events are read with
    # ``unscoped()`` and an explicit filter on the members of one organisation.
    objects = OrgScopedManager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-at"]),
            models.Index(fields=["user", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or self.user_id} at {self.at}"
