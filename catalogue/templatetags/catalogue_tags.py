from typing import Any

from django import template

register = template.Library()


@register.filter
def attr(obj: Any, name: str) -> Any:
    """An attribute (or a no-argument method such as get_kind_display) for generic tables."""
    value = getattr(obj, name, None)
    return value() if callable(value) and not hasattr(value, "get_absolute_url") else value
