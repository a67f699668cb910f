"""Django admin for installation staff. Organisation-owned models are listed across
organisations here on purpose: this is admin tooling, hence ``unscoped()``."""

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from . import audit
from . import models as m
from .services import inputs_changed


class UnscopedAdmin(admin.ModelAdmin):
    list_filter = ("organisation",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.model.objects.unscoped()  # type: ignore[attr-defined]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        if hasattr(related.objects, "unscoped"):
            kwargs.setdefault("queryset", related.objects.unscoped())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        if hasattr(related.objects, "unscoped"):
            kwargs.setdefault("queryset", related.objects.unscoped())
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(m.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "delivery_model", "created_at")
    search_fields = ("name", "slug")


@admin.register(m.Membership)
class MembershipAdmin(UnscopedAdmin):
    """Role changes and removals made here are audited, and a removal signs the person out
    everywhere, as on the organisation's own members page."""

    list_display = ("user", "organisation", "role")
    list_filter = ("organisation", "role")
    raw_id_fields = ("user",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = form.initial.get("role") if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and before != obj.role:
                audit.record(
                    kind=m.AuditKind.ROLE_CHANGED,
                    organisation=obj.organisation,
                    user=obj.user,
                    detail=f"{m.Role(before).label} → {m.Role(obj.role).label}"
                    f"{audit.by(request.user)} in the site admin",
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_queryset(request, self.get_queryset(request).filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        removed = [(obj.organisation, obj.user) for obj in queryset.select_related("user")]
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for organisation, user in removed:
                audit.record(
                    kind=m.AuditKind.MEMBER_REMOVED,
                    organisation=organisation,
                    user=user,
                    detail=f"Removed{audit.by(request.user)} in the site admin",
                )
                audit.end_sessions(user_id=user.pk)


class BalanceInputAdmin(UnscopedAdmin):
    """Edits made here change what the balance report reads: move the generation on."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            inputs_changed(organisation=obj.organisation, reason="changed in the admin")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organisation = obj.organisation
        with transaction.atomic():
            super().delete_model(request, obj)
            inputs_changed(organisation=organisation, reason="deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        organisations = {obj.organisation for obj in queryset}
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for organisation in organisations:
                inputs_changed(organisation=organisation, reason="deleted in the admin")


for model in (m.BusinessArea, m.Team, m.Offering, m.Touchpoint, m.Journey):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (BalanceInputAdmin,),
            {
                "list_display": ("name", "key", "organisation"),
                "search_fields": ("name", "key"),
            },
        ),
    )


@admin.register(m.Enabler)
class EnablerAdmin(BalanceInputAdmin, SimpleHistoryAdmin):
    list_display = ("name", "key", "organisation", "kind", "classification", "lifecycle")
    list_filter = ("organisation", "kind", "classification", "lifecycle")
    search_fields = ("name", "key", "capability")
