"""Headless Chromium for the browser tests: the system's (`apt-get install chromium`,
never a downloaded one), launched through Playwright's sync API.

Without it a browser test is skipped, except in CI (ANTREAN_REQUIRE_BROWSER=1), where it
fails. Screenshots go to test-artifacts/ (git-ignored) for people to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip the calling test module without Chromium (fail in CI)."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("ANTREAN_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(
        "Chromium not installed (apt-get install chromium chromium-driver); "
        ".ci/run installs it and sets ANTREAN_REQUIRE_BROWSER=1",
        allow_module_level=True,
    )


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
