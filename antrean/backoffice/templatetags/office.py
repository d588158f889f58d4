from django import template

from antrean.content import has_text, text

register = template.Library()


@register.filter
def status_name(value: str) -> str:
    """A booking status as officers read it (the catalog's Indonesian wording)."""
    key = f"status.{value}"
    return text(key, "id") if has_text(key) else value
