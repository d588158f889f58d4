"""CI's dependency audit: pip-audit over requirements.lock when its data can be reached.

    python tools/audit.py PIP_AUDIT [pip-audit options...]

pip-audit looks each pinned release up in PyPI's JSON API (/pypi/<name>/<version>/json,
which lists the release's known vulnerabilities). Some machines reach PyPI's package
index but not that API (it answers 404 there), and pip-audit --strict would then fail on
every package without having audited anything. So this asks the API for one release we
certainly have installed first:

- it answers: the real audit runs, strict, and its verdict is CI's verdict;
- it does not: the audit is reported as NOT RUN, loudly, with the reason, and the run
  goes on, unless ANTREAN_REQUIRE_AUDIT=1 makes that a failure (set it where PyPI is
  fully reachable, so an audit that silently stopped running cannot pass).
"""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def first_pin() -> tuple[str, str]:
    for line in LOCK.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            return name, version
    sys.exit("tools/audit.py: no pinned package in requirements.lock")


def reachable() -> str | None:
    """None when PyPI's per-release JSON answers, else why not."""
    name, version = first_pin()
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            response.read(1)
        return None
    except urllib.error.HTTPError as error:
        return f"{url} answered HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return f"{url} could not be reached ({error})"


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit("usage: python tools/audit.py PIP_AUDIT [options...]")
    why_not = reachable()
    if why_not is None:
        return subprocess.run(argv).returncode
    print(
        "tools/audit.py: dependency audit NOT RUN: PyPI's vulnerability data is not "
        f"reachable from this machine: {why_not}. Run `make audit` where pypi.org is.",
        file=sys.stderr,
    )
    return 1 if os.environ.get("ANTREAN_REQUIRE_AUDIT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
