"""The approved templates we may send outside the 24-hour window, by purpose.

Names and languages come from WHATSAPP_TEMPLATES (as approved in WhatsApp Manager); the
body parameters are filled in the order the template's {{1}}, {{2}}, ... expect.
"""

from django.conf import settings

from antrean.whatsapp.messages import Template


class UnknownTemplate(KeyError):
    pass


def template(
    purpose: str, *params: str, button: str = "", replies: tuple[str, ...] = ()
) -> Template:
    """The template for `purpose`: `params` fill its body, `button` a URL button's
    parameter, `replies` the payloads of its quick-reply buttons (in order)."""
    try:
        configured = settings.WHATSAPP_TEMPLATES[purpose]
    except KeyError:
        raise UnknownTemplate(
            f"no template for {purpose!r}; configure it in WHATSAPP_TEMPLATES"
        ) from None
    # Meta refuses line breaks and long runs of spaces in parameters: fold them away.
    clean = tuple(" ".join(str(param).split()) for param in params)
    return Template(configured["name"], configured.get("language", "id"), clean, button, replies)
