"""Identifiers of the back-office (OF_/AF_/SE_) and of organismes (SIRET, NDA, UAI)."""
from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siret as _siret

from ._text import compact

NUMERO_PREFIX = {"organisme": "OF", "action": "AF", "session": "SE"}
_NUMERO_RE = re.compile(r"(OF|AF|SE)_([0-9]{10})")


def format_numero(prefix: str, n: int) -> str:
    """'AF', 25392 -> 'AF_0000025392'."""
    if prefix not in NUMERO_PREFIX.values():
        raise ValueError(f"préfixe inconnu : {prefix!r}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n < 10**10:
        raise ValueError(f"numéro hors limites : {n!r}")
    return f"{prefix}_{n:010d}"


def parse_numero(text) -> tuple[str, int] | None:
    """'SE_0000193353' -> ('SE', 193353); anything else (case, length, spaces) -> None."""
    if not isinstance(text, str):
        return None
    m = _NUMERO_RE.fullmatch(text)
    if m is None or int(m.group(2)) == 0:
        return None
    return m.group(1), int(m.group(2))




def normalize_siret(value) -> str:  # no validation
    return compact(value)


def validate_siret(value) -> str | None:
    """14 digits and a valid key (Luhn, or La Poste's rule, as python-stdnum knows)."""
    number = normalize_siret(value)
    if not number:
        return "Le SIRET est obligatoire."
    if len(number) != 14 or not number.isascii() or not number.isdigit():
        return "Le SIRET doit comporter 14 chiffres."
    try:
        _siret.validate(number)
    except InvalidChecksum:
        return "Le SIRET n'est pas valide (clé de contrôle)."
    except ValidationError:
        return "Le SIRET n'est pas valide."
    return None


def validate_nda(value) -> str | None:
    """Numéro de déclaration d'activité: exactly 11 digits once spaces are removed."""
    number = compact(value)
    if not number:
        return "Le numéro de déclaration d'activité est obligatoire."
    if len(number) != 11 or not number.isascii() or not number.isdigit():
        return "Le numéro de déclaration d'activité doit comporter 11 chiffres."
    return None


UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q


def uai_letter(digits: str) -> str:
    """The control letter of the 7 digits of a UAI."""
    return UAI_LETTERS[int(digits) % 23]


def normalize_uai(value) -> str:  # no validation
    return compact(value).upper()


def validate_uai(value) -> str | None:
    """7 digits + the control letter (lower case accepted)."""
    uai = normalize_uai(value)
    if not uai:
        return "Le numéro UAI est obligatoire."
    digits, letter = uai[:7], uai[7:]
    if len(uai) != 8 or not (digits.isascii() and digits.isdigit()) or letter not in UAI_LETTERS:
        return "Le numéro UAI doit comporter 8 caractères : 7 chiffres suivis d'une lettre."
    if letter != uai_letter(digits):
        return "Le numéro UAI n'est pas valide (lettre de contrôle)."
    return None


SIRET_KEPT = "Le SIRET est obligatoire pour un organisme validé : il ne peut pas être laissé vide."
NDA_KEPT = ("Le numéro de déclaration d'activité est obligatoire pour un organisme validé : il ne peut pas "
            "être laissé vide.")


def validated_identity_problems(validated: bool, siret, nda) -> list[tuple[str, str]]:
    """(field, message) for each of SIRET and NDA left blank on an organisme the CARIF validated:
    partners receive both with its offers (export/lheo.py), so once validated neither may be blanked.
    A brouillon (pré-inscription, import) may still lack them; their format is validate_siret's and
    validate_nda's."""
    if not validated:
        return []
    return ([("siret", SIRET_KEPT)] if not compact(siret) else []) + ([("nda", NDA_KEPT)] if not compact(nda) else [])
