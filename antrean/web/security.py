"""Browser security headers Django 5.2 does not set itself: a Content-Security-Policy, a
Permissions-Policy, and Cache-Control for pages that did not choose their own
(docs/security.md).

Django's SecurityMiddleware already sends X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy (settings.SECURE_*), and XFrameOptionsMiddleware X-Frame-Options.

The policy allows no inline code at all: no <script> without src, no <style>, no style=
attribute, no on...= handler, no hx-on, no eval. Every page's scripts and styles are
static files of this site; antrean/web/tests/test_security_headers.py fails on a template
that would break that promise, and runs the key pages in Chromium looking for refusals.
"""

from django.conf import settings

# One directive a line, so a change reads as a one-line diff.
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for the pages' empty favicon (<link rel="icon" href="data:,">), which keeps
        # browsers from asking for /favicon.ico; nothing else uses a data: image.
        "img-src 'self' data:",
        "connect-src 'self'",  # htmx and the simulator poll this site only
        "frame-ancestors 'none'",  # as X-Frame-Options: DENY
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)

# JSON answers (the webhook, the simulator's API, the lottery's audit) load nothing and are
# framed by nobody; if one is ever opened as a page, it runs nothing either.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

# Powerful browser features, off unless a page of ours uses them. camera: the check-in page
# reads a booking's QR code with the tablet's camera (backoffice/static/backoffice/scan.js,
# getUserMedia and BarcodeDetector). autoplay stays at its default (this site only): the
# display board chimes through Web Audio after one tap (backoffice/static/backoffice/board.js).
# Only features Chromium knows are named: an unknown one is reported on every page.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=(self)",
        "browsing-topics=()",
        "camera=(self)",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=()",
        "geolocation=()",
        "gyroscope=()",
        "hid=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "picture-in-picture=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
    ]
)


def _media_type(response) -> str:
    return response.get("Content-Type", "").split(";")[0].strip().lower()


# Dynamic answers carry personal data more often than not (a booking's proof and manage
# pages, the back office's lists, the simulator's chats), and a shared computer's browser
# cache or a proxy must keep none of it; the few public pages lose little by not being
# cached. A view that wants caching says so itself (Cache-Control is then left alone).
NO_STORE = "private, no-store"


class SecurityHeadersMiddleware:
    """Sets these headers on every response that does not set its own. Static files are
    answered by WhiteNoise before this middleware, and need none of them (WhiteNoise gives
    them their own long Cache-Control)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cache-Control", NO_STORE)
        media_type = _media_type(response)
        if media_type == "text/html":
            # Django's own error pages in DEBUG (the yellow traceback, the URL list) are
            # built with inline script and style; a developer should see them whole.
            if not (settings.DEBUG and response.status_code >= 400):
                response.setdefault("Content-Security-Policy", PAGE_POLICY)
        elif media_type == "application/json":
            response.setdefault("Content-Security-Policy", API_POLICY)
        # Anything else (the proof's PDF, CSV exports, images) goes without: a PDF opened in
        # Chrome's own viewer must not be held to a page's policy.
        return response
