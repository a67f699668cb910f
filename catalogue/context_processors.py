from typing import Any

from django.http import HttpRequest

from .access import memberships_of
from .permissions import can


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The organisation in scope (set by the org_view decorator) and the switcher's list."""
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "organisation": getattr(request, "organisation", None),
        "my_memberships": memberships_of(request.user, membership)
        if hasattr(request, "user")
        else [],
        "can_manage_members": can(membership, "org.manage_members"),
        "can_edit_structure": can(membership, "structure.edit"),
        "can_import_catalogue": can(membership, "catalogue.import"),
    }
