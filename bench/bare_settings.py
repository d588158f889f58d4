"""The project's settings with one bare view as the whole site: the reference of the
end-to-end benchmark (bench/e2e.py).

`antrean serve` serves it unchanged, same server, same options and middleware, when
started with DJANGO_SETTINGS_MODULE=bare_settings and bench/ on PYTHONPATH.
"""

from antrean.settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
