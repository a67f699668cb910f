"""Querysets that fail closed when no organisation is in scope.

Every organisation-owned model uses ``OrgScopedManager`` as ``objects``. A queryset from it
refuses to run (raises ``OrganisationScopeError``) unless it was scoped, in one of three ways:

- ``Model.objects.for_org(org)`` — the normal way, used by the access module and selectors;
- a filter on ``organisation`` (Django's own unique checks do this);
- a related manager or prefetch from an instance that is itself organisation-owned
  (``journey.steps.all()``): that instance was loaded in scope, and writes refuse
  references across organisations, so its relations stay inside the organisation.

``Model.objects.unscoped()`` is the one explicit escape hatch, for admin tooling, migrations
and management commands that work across organisations. Grep for ``unscoped(`` to audit it.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class OrganisationScopeError(RuntimeError):
    """An organisation-owned model was queried without an organisation in scope."""


_SCOPE_KEYS = ("organisation", "organisation_id", "organisation__in", "organisation_id__in")


class OrgScopedQuerySet(models.QuerySet):
    _org_scoped: bool = False

    def _clone(self) -> Any:
        clone = super()._clone()
        clone._org_scoped = self._org_scoped
        return clone

    def _mark(self) -> OrgScopedQuerySet:
        self._org_scoped = True
        return self

    def for_org(self, organisation: Any) -> OrgScopedQuerySet:
        if organisation is None:
            raise OrganisationScopeError("for_org() needs an organisation, got None")
        clone = self.filter(organisation=organisation)
        if not isinstance(organisation, int):
            # Rows fetched carry the organisation already, as a related manager's would.
            field = self.model._meta.get_field("organisation")
            clone._known_related_objects = {field: {organisation.pk: organisation}}
        return clone

    def unscoped(self) -> OrgScopedQuerySet:
        """Escape hatch: run without an organisation (admin tooling, migrations, commands)."""
        return self._chain()._mark()

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Any:
        clone = super()._filter_or_exclude(negate, args, kwargs)
        if not negate and any(key in kwargs for key in _SCOPE_KEYS):
            clone._org_scoped = True
        return clone

    def _in_scope(self) -> bool:
        if self._org_scoped:
            return True
        instance = self._hints.get("instance")
        return instance is not None and (
            hasattr(instance, "organisation_id") or instance._meta.label == "catalogue.Organisation"
        )

    def _check_scope(self) -> None:
        if not self._in_scope():
            raise OrganisationScopeError(
                f"{self.model._meta.label} queried with no organisation in scope; "
                "use .for_org(organisation) (or .unscoped() in admin tooling)"
            )

    # Every way a queryset reaches the database goes through one of these.
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def count(self) -> int:
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._check_scope()
        return super().iterator(chunk_size=chunk_size)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scope()
        return super().delete()

    def in_bulk(self, *args: Any, **kwargs: Any) -> Any:
        self._check_scope()
        return super().in_bulk(*args, **kwargs)


class OrgScopedManager(models.Manager.from_queryset(OrgScopedQuerySet)):  # type: ignore[misc]
    """Default manager of organisation-owned models; see the module docstring."""
