"""`{% t "key" name=value %}`: a catalog text in the page's language (escaped)."""

from django import template

from antrean.content import text

register = template.Library()


@register.simple_tag(takes_context=True)
def t(context, key: str, **params) -> str:
    return text(key, context.get("lang") or "id", **params)
