"""`antrean check --deploy`: what a deployment of several machines must have set."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from antrean.lib.env import env


@register(Tags.security, deploy=True)
def shared_keys(app_configs, **kwargs):
    """Scaled out (PostgreSQL or Redis), every process must hold the same keys. A key left
    unset is generated into each machine's data folder, and a worker could not read what
    a web process on another machine encrypted."""
    if settings.DATABASE_URL.startswith("sqlite") and not settings.REDIS_URL:
        return []
    return [
        Error(
            f"{name} is not set, and this deployment shares its database or queue.",
            hint=f"Set {name} to the same value on every machine (deploy/antrean.env.example).",
            id="antrean.E002",
        )
        for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY")
        if not env(name)
    ]
