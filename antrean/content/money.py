"""Wording amounts of money: Indonesian thousands (`650.000`), in English texts too (the
currency's own usage)."""


def thousands(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def rupiah(amount: int) -> str:
    return f"Rp{thousands(amount)}"
