"""Phone numbers as WhatsApp gives them: E.164 digits without the plus (6281234567890)."""

import phonenumbers

from antrean.booking.errors import InvalidPhone

DEFAULT_REGION = "ID"


def normalize_phone(raw: str) -> str:
    """`0812-3456-7890`, `+62 812 3456 7890` or `6281234567890` -> `6281234567890`."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits or len(digits) > 17:
        raise InvalidPhone()
    if text.startswith("+") or text.startswith("00"):
        candidates = ["+" + digits.removeprefix("00")]
    elif digits.startswith("0"):
        candidates = [digits]  # national format: read in the Indonesian plan
    else:
        candidates = ["+" + digits, digits]  # a WhatsApp id, or a national number sans 0
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise InvalidPhone()
