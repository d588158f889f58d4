"""The public pages' language: Indonesian unless the visitor switched to English.

The choice lives in a cookie (no account, no session needed), and every text comes from
the catalog in antrean/content (see the `t` template tag).
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from antrean.content import DEFAULT_LANGUAGE, LANGUAGES

COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600


def language(request: HttpRequest) -> str:
    chosen = request.COOKIES.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def context(request: HttpRequest) -> dict:
    """Template context processor: `lang`, and the other language to switch to."""
    lang = language(request)
    return {"lang": lang, "other_lang": "en" if lang == "id" else "id"}


@require_GET
def switch(request: HttpRequest, lang: str):
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response
