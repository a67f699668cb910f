"""What we judge and decide: assessment rounds, assessments, bottleneck flags, decisions,
and the balance reports computed from all of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from catalogue.models import (
    KEY_MAX_LENGTH,
    Classification,
    Enabler,
    Journey,
    Offering,
    Organisation,
    OrgOwned,
    Team,
    key_validator,
    keyed_url,
    org_slug,
)


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AssessmentRound(OrgOwned):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assessment_rounds"
    )
    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    # Rounds count in the order they were opened; ``sequence`` keeps that order exactly.
    sequence = models.PositiveIntegerField(default=0)
    opened_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # The day the due-date reminder went to teams with enablers left to assess.
    reminder_sent_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["sequence", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="round_unique_key"),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="open"),
                name="round_one_open_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return keyed_url("assessments:round_detail", org_slug(self), self.key)

    def get_team_url(self, team: Team) -> str:
        """The team's to-do list in this round."""
        return reverse("assessments:round_team", args=[org_slug(self), self.key, team.key])

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class Assessment(OrgOwned):
    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="assessments")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assessments")
    enabler = models.ForeignKey(Enabler, on_delete=models.CASCADE, related_name="assessments")
    fit = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    pace = models.SmallIntegerField(validators=[MinValueValidator(-2), MaxValueValidator(2)])
    preferred = models.CharField(
        "preferred classification", max_length=12, choices=Classification.choices, blank=True
    )
    comment = models.TextField(blank=True, max_length=5000)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team", "enabler"], name="assessment_unique_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} on {self.enabler_id} in {self.round_id}"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    BLOCKING = "blocking", "Blocking"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class BottleneckFlag(OrgOwned):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="flags")
    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    team = models.ForeignKey(
        Team, verbose_name="raised by team", on_delete=models.CASCADE, related_name="flags"
    )
    enabler = models.ForeignKey(Enabler, on_delete=models.CASCADE, related_name="flags")
    offering = models.ForeignKey(
        Offering, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    journey = models.ForeignKey(
        Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=14, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    summary = models.CharField(max_length=200)
    details = models.TextField(blank=True, max_length=5000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "key"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="flag_unique_key"),
        ]
        # The flag list: newest first, whole or by status or severity, a page at a time;
        # status alone also counts flags per status. (By team, enabler, offering or owning
        # team, the foreign keys' own indexes find the few rows.)
        indexes = [
            models.Index(fields=["organisation", "-raised_at", "-id"]),
            models.Index(fields=["organisation", "status", "-raised_at", "-id"]),
            models.Index(fields=["organisation", "severity", "-raised_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.summary

    def get_absolute_url(self) -> str:
        return keyed_url("assessments:flag_detail", org_slug(self), self.key)

    @property
    def counts(self) -> bool:
        """Open and acknowledged flags count in the balance report; resolved ones do not."""
        return self.status != FlagStatus.RESOLVED

    def open_for(self, now: datetime | None = None) -> timedelta:
        """How long the flag has been (or was) open: until it was resolved, else until now."""
        end = self.resolved_at if self.status == FlagStatus.RESOLVED and self.resolved_at else None
        return (end or now or timezone.now()) - self.raised_at


class FlagAction(models.TextChoices):
    COMMENT = "", "Comment"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"


class FlagComment(OrgOwned):
    """A comment on a flag, or the note that came with acknowledging, resolving or reopening it."""

    flag = models.ForeignKey(BottleneckFlag, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=14, choices=FlagAction.choices, blank=True)
    body = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.flag_id}"


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"


class Decision(OrgOwned):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="decisions"
    )
    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED
    )
    context = models.TextField(blank=True, max_length=10000)
    decision = models.TextField(blank=True, max_length=10000)
    consequences = models.TextField(blank=True, max_length=10000)
    options = models.TextField("options considered", blank=True, max_length=10000)
    enablers = models.ManyToManyField(Enabler, blank=True, related_name="decisions")
    supersedes = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by"
    )
    decided_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What motivated it: open flags and the report the decision answers.
    flags = models.ManyToManyField(BottleneckFlag, blank=True, related_name="decisions")
    report = models.ForeignKey(
        "BalanceReport", on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    # A merge: on acceptance the ``merge_from`` enablers' usages, flags and assessments move
    # to ``merge_into``, which becomes common, and they are retired.
    merge_into = models.ForeignKey(
        Enabler, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merge_from = models.ManyToManyField(Enabler, blank=True, related_name="merged_by_decisions")
    # Who decided, as written in an imported file (people who may have no login here).
    decision_makers = models.CharField(max_length=300, blank=True)
    # Goes up by one with each saved change: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    # The review date a reminder went out for (once per decision and review date).
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=[enablers])

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="decision_unique_key"),
            models.UniqueConstraint(
                fields=["organisation", "number"], name="decision_unique_number"
            ),
        ]
        indexes = [
            # The register by status, newest first (the whole register reads the unique
            # number index backwards).
            models.Index(fields=["organisation", "status", "-number"]),
            # The review reminders: accepted decisions past their review date, every
            # organisation at once.
            models.Index(fields=["status", "review_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"DEC-{self.number:03d}"

    def get_absolute_url(self) -> str:
        return keyed_url("assessments:decision_detail", org_slug(self), self.key)

    @property
    def is_open(self) -> bool:
        """Proposed: its text and changes may still be edited, and it may be decided."""
        return self.status == DecisionStatus.PROPOSED


class DecisionChange(OrgOwned):
    """A classification change a decision carries for one enabler (from → to)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="changes")
    enabler = models.ForeignKey(Enabler, on_delete=models.CASCADE, related_name="decision_changes")
    from_classification = models.CharField(max_length=12, choices=Classification.choices)
    to_classification = models.CharField(max_length=12, choices=Classification.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.enabler_id}: {self.from_classification} → {self.to_classification}"


class NotificationKind(models.TextChoices):
    FLAG_RAISED = "flag_raised", "Flag raised"
    FLAG_ACKNOWLEDGED = "flag_acknowledged", "Flag acknowledged"
    FLAG_RESOLVED = "flag_resolved", "Flag resolved"
    FLAG_REOPENED = "flag_reopened", "Flag reopened"
    ROUND_REMINDER = "round_reminder", "Assessment reminder"
    DECISION_REVIEW = "decision_review", "Decision due for review"


class Notification(OrgOwned):
    """Something a person is told about, in the app and in their next email digest."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=300)
    flag = models.ForeignKey(
        BottleneckFlag,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    round = models.ForeignKey(
        AssessmentRound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    decision = models.ForeignKey(
        Decision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the notification went out in an email digest (or was found to need none).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "organisation", "read_at"]),
            models.Index(fields=["emailed_at"]),
        ]

    def __str__(self) -> str:
        return self.text


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class BalanceReport(OrgOwned):
    """One computed snapshot of an organisation. Never overwritten: history for trends.

    ``result`` holds everything the report page shows (names included), so an old report
    reads the same after the catalogue changes.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="balance_reports"
    )
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    # The organisation's generation this report was computed from (set when it starts).
    generation = models.PositiveBigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The Celery task that claimed it: the same task (retried or redelivered) may resume it.
    claimed_by = models.CharField(max_length=64, blank=True, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True)
    method_version = models.PositiveIntegerField(null=True, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # The journeys laid out for the portfolio's pictures, kept with the report so an old
    # report draws the journeys as they were (see assessments.portfolio.shapes).
    shapes = models.JSONField(default=dict, blank=True)
    # What the portfolio page shows, taken out of ``result`` when it is stored (headline
    # figures, the charts' first rows, the first findings of each kind, with "how many in
    # all"), so the page reads kilobytes, not the megabytes of ``result``
    # (see assessments.portfolio.summary).
    summary = models.JSONField(default=dict, blank=True)
    # Headline figures copied out of ``result`` when it is stored, so history and trends
    # read a few small columns instead of every report's whole result.
    balance_score = models.PositiveSmallIntegerField(null=True, blank=True)
    open_flags = models.PositiveIntegerField(null=True, blank=True)
    model_in_force = models.CharField(max_length=10, blank=True)
    inferred_model = models.CharField(max_length=10, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-requested_at"]),
            models.Index(fields=["organisation", "status", "-generation"]),
            # The history (every status, newest first), the list of ready reports and the
            # trend (by when computed), and when the last recompute started.
            models.Index(fields=["organisation", "-requested_at", "-id"]),
            models.Index(fields=["organisation", "status", "-computed_at", "-id"]),
            models.Index(fields=["organisation", "started_at"]),
        ]
        constraints = [
            # At most one report waits per organisation: the token that coalesces a burst of
            # changes into one recompute (see services.report_request).
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="report_one_pending_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"Balance report {self.pk} ({self.status})"

    @property
    def when(self) -> Any:
        """When it was computed (when it was asked for, for one that never was)."""
        return self.computed_at or self.requested_at
