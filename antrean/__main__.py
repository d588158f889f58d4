"""The `antrean` console command: Django's management utility for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antrean.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "antrean"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
