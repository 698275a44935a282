"""The login identifiant of SPEC section 5."""
from __future__ import annotations

import re
from collections.abc import Callable

from ._text import fold


def login_base(prenom, nom) -> str:
    """First letter of the first name + last name, [a-z] only ("Éloïse D'Artagnan" -> edartagnan)."""
    first, last = (re.sub(r"[^a-z]", "", fold(t or "")) for t in (prenom, nom))
    if not first or not last:
        raise ValueError("Le prénom et le nom doivent contenir au moins une lettre.")
    return first[0] + last


def make_login(prenom, nom, taken: Callable[[str], bool] | set) -> str:
    """Base + the smallest suffix >= 1 not taken: fdurant1, fdurant2, …, fdurant10."""
    is_taken = taken if callable(taken) else taken.__contains__
    base = login_base(prenom, nom)
    n = 1
    while is_taken(f"{base}{n}"):
        n += 1
    return f"{base}{n}"
