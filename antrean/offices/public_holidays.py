"""National holidays and collective leave (cuti bersama), from the `holidays` package.

Categories `public` and `government`: the second is the collective leave that the
government adds around Idul Fitri, Natal and other holidays, on which offices close too.
"""

from datetime import date
from functools import cache

import holidays

from antrean.booking.rules import Closure

_CATEGORIES = ("public", "government")


@cache
def national_closures(year: int) -> dict[date, Closure]:
    names_id = holidays.country_holidays("ID", years=year, categories=_CATEGORIES, language="id")
    names_en = holidays.country_holidays("ID", years=year, categories=_CATEGORIES, language="en_US")
    return {
        day: Closure(day=day, name_id=name, name_en=names_en.get(day, ""))
        for day, name in names_id.items()
    }
