"""Applicant-facing text, kept as data: Indonesian first, English second.

`messages.toml` holds every text by key, each with an `id` and an `en` version. Code asks
for `text(key, lang, **params)` and never writes applicant-facing sentences itself.
"""

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def catalog() -> dict[str, dict[str, str]]:
    raw = tomllib.loads(resources.files(__package__).joinpath("messages.toml").read_text("utf-8"))
    flat: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: dict) -> None:
        if "id" in node and isinstance(node["id"], str):
            flat[prefix] = {lang: node[lang] for lang in LANGUAGES if lang in node}
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", raw)
    return flat


def has_text(key: str) -> bool:
    return key in catalog()


# Where a text ends up decides how long it may be (WhatsApp's limits, with room for what is
# added around it): button and list-button titles, list rows and their notes, section
# titles; everything else is a message body.
_LIMITS = [
    ({"chat.button_confirm", "chat.button_cancel", "chat.button_attend", "chat.button_wait",
      "flow.book_button", "flow.reschedule_button",
      "flow.cancel_booking_button", "flow.menu_button", "sigap.menu_button",
      "flow.service_button", "flow.day_button", "flow.hour_button",
      "sigap.requirements_adult_title", "sigap.requirements_child_title",
      "sigap.requirements_renewal_title", "flow.feedback_appreciation",
      "flow.feedback_aspiration", "flow.feedback_complaint"}, 20),
    ({"sigap.menu_section", "flow.lost_row"}, 24),
    ({"flow.lost_row_note", "flow.seats_left"}, 72),
]  # fmt: skip
BODY_LIMIT = 800


def limit_for(key: str) -> int:
    """The most characters the text `key` may have once filled in."""
    for keys, limit in _LIMITS:
        if key in keys:
            return limit
    if key.startswith("sigap.row."):
        return 72 if key.endswith("_note") else 24
    return BODY_LIMIT


def text(key: str, lang: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text `key` in `lang` (Indonesian when that language is missing), filled in."""
    entry = catalog()[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format_map(params) if params else template
