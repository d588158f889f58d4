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


def text(key: str, lang: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text `key` in `lang` (Indonesian when that language is missing), filled in."""
    entry = catalog()[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format_map(params) if params else template
