from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def attr(obj: Any, name: str) -> Any:
    """An attribute (or a no-argument method such as get_kind_display) for generic tables."""
    value = getattr(obj, name, None)
    return value() if callable(value) and not hasattr(value, "get_absolute_url") else value


@register.filter
def words(value: Any) -> str:
    """snake_case names as plain words: shared_bottleneck → shared bottleneck."""
    return str(value).replace("_", " ")


@register.filter
def percent(value: Any) -> str:
    """A share (0..1) as a whole percentage, rounded half up (as the charts round it)."""
    if value is None or value == "":
        return "—"
    whole = (Decimal(str(value)) * 100).quantize(Decimal("1"), ROUND_HALF_UP)
    return f"{whole}%"


@register.filter
def plain(value: Any) -> str:
    """A value from a report's evidence in plain words: yes/no, lists joined by commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if value is None:
        return "—"
    return str(value)
