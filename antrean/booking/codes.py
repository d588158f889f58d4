"""Booking codes and queue numbers."""

import secrets
from collections.abc import Callable

# No look-alikes: 0/O and 1/I are left out, so a code read aloud or typed from a
# screenshot cannot be mistaken. 32 symbols x 8 places = 40 bits: with a million live
# codes, a random guess hits one about once in a million tries.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    return "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The code in `text` as we store it, or None if it cannot be one."""
    candidate = "".join(ch for ch in (text or "").upper() if ch not in " -_.#")
    if len(candidate) == CODE_LENGTH and all(ch in ALPHABET for ch in candidate):
        return candidate
    return None


def queue_label(prefix: str, number: int) -> str:
    """`A-017`: the service's letter and the day's running number, at least three digits."""
    return f"{prefix}-{number:03d}"
