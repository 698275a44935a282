"""Rules of the LHEO content of an action and of its sessions: coded values, web addresses,
prices, inscription and information dates, subcontracting, funders, text lengths.

The lengths and counts are LHEO 2.3's (lheo.xsd), which are also the columns' (schema.sql):
what the back-office accepts, partners can receive whole. Each check returns (field, French
message) pairs, the field being the form field the message belongs to.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from ._text import blank

# The LHEO date format (AAAAMMJJ, 00 for an unknown day or month) has its one home there, in
# plain Python (lxml and the standard library): the rules check dates with it rather than a copy.
from .dates import parse_partial_date
from .identifiers import normalize_siret, normalize_uai, validate_siret, validate_uai
from .offer import validate_url
from .validation import DATE_RANGE_MESSAGE, check_hours_sum, date_in_range, required_text

# LHEO dict-type-parcours
PARCOURS = {"1": "En groupe (non personnalisable)", "2": "Individualisé", "3": "Modularisé", "4": "Mixte"}
# LHEO dict-type-validation-blocs
VALIDATION_BLOCS = {
    "0": "Partielle : certains blocs mais pas la totalité",
    "1": "Totale : tous les blocs",
    "2": "Mixte : validation totale, blocs également accessibles en parcours individualisé",
}

ACTION_TEXT_LIMITS = {"public_vise": 250, "acces_handicapes": 250, "modalites_recrutement": 3000,
                      "modalites_pedagogiques": 200}
SESSION_TEXT_LIMITS = {"rythme_formation": 3000, "modalites_alternance": 3000, "frais_restants": 200,
                       "detail_prise_en_charge": 600, "modalites_inscription": 255, "formateur_raison_sociale": 250}
ACTION_URLS = ("url_formation", "url_action")
SESSION_URLS = ("url_session",)
# relationship of the action -> (most items LHEO carries, what they are)
ACTION_COLLECTION_LIMITS = {"publics": (10, "publics visés"), "langues": (5, "langues"),
                            "modalites_pedagogiques_codes": (5, "modalités pédagogiques"),
                            "romes": (5, "codes ROME")}
# column -> (largest amount: NUMERIC(9, 2) and NUMERIC(5, 2), i.e. LHEO's 10 and 6 characters, what it is)
PRICES = {"prix_total_ttc": (Decimal("9999999.99"), "Le prix total TTC"),
          "prix_horaire_ttc": (Decimal("999.99"), "Le prix horaire TTC")}
FINANCEURS_MAX = 8
DATES_INFORMATION_MAX = 3

DATE_FORMAT_MESSAGE = "La date n'est pas valide : saisissez-la au format JJ/MM/AAAA, MM/AAAA ou AAAA."
CHOICE_MESSAGE = "Choisissez une valeur de la liste."


def euros_text(value) -> str:
    """Decimal('1250.5') -> '1 250,50' (French digit grouping, two decimals)."""
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    whole, cents = f"{number:,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents}"


def check_price(value, maximum: Decimal, label: str) -> str | None:
    """A price in euros: positive or zero, in cents, no more than `maximum`."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return f"{label} doit être un montant en euros."
    if not number.is_finite():
        return f"{label} doit être un montant en euros."
    if number < 0:
        return f"{label} ne peut pas être négatif."
    if number > maximum:
        return f"{label} ne peut pas dépasser {euros_text(maximum)} €."
    if number != number.quantize(Decimal("0.01")):
        return f"{label} s'exprime en euros et centimes : deux décimales au plus."
    return None


def text_length_errors(values: Mapping[str, object], limits: Mapping[str, int]) -> list[tuple[str, str]]:
    return [(name, f"Le champ ne peut pas contenir plus de {limit} caractères.")
            for name, limit in limits.items()
            if isinstance(values.get(name), str) and len(values[name]) > limit]


def url_errors(values: Mapping[str, object], names: Iterable[str]) -> list[tuple[str, str]]:
    """Each filled web address checked with validate_url (a javascript: address never leaves)."""
    errors = []
    for name in names:
        value = values.get(name)
        if not blank(value):
            message = validate_url(value)
            if message:
                errors.append((name, message))
    return errors


def check_inscription_period(debut, fin) -> list[tuple[str, str]]:
    """The inscription period (LHEO dates): both ends or neither, valid, the end not before the start."""
    if blank(debut) and blank(fin):
        return []
    if blank(debut):
        return [("inscription_debut", "Indiquez aussi le début de la période d'inscription.")]
    if blank(fin):
        return [("inscription_fin", "Indiquez aussi la fin de la période d'inscription.")]
    start, end = parse_partial_date(debut), parse_partial_date(fin)
    errors = [(name, _lheo_date_problem(parsed)) for name, parsed in (("inscription_debut", start),
                                                                      ("inscription_fin", end))
              if _lheo_date_problem(parsed)]
    start, end = (None, None) if errors else (start, end)
    if start is not None and end is not None and end.last < start.first:
        errors.append(("inscription_fin", "La fin de la période d'inscription ne peut pas précéder son début."))
    return errors


def split_dates(text) -> list[str]:
    """'20270915,20270922' -> ['20270915', '20270922'] (the session.dates_information column)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _lheo_date_problem(parsed) -> str | None:
    """An LHEO date as parsed: refused when invalid (None) or outside the plausible range."""
    if parsed is None:
        return DATE_FORMAT_MESSAGE
    return date_in_range(parsed.first) or date_in_range(parsed.last)


def check_dates_information(text) -> str | None:
    """Up to three valid LHEO dates, within the plausible range."""
    dates = split_dates(text)
    if len(dates) > DATES_INFORMATION_MAX:
        return f"Indiquez au plus {DATES_INFORMATION_MAX} dates d'information."
    problems = {_lheo_date_problem(parse_partial_date(d)) for d in dates} - {None}
    if problems:
        return DATE_FORMAT_MESSAGE if DATE_FORMAT_MESSAGE in problems else DATE_RANGE_MESSAGE
    return None


def check_formateur(siret, raison_sociale, uai) -> list[tuple[str, str]]:
    """The organisme formateur (subcontracting): LHEO needs its SIRET and its raison sociale."""
    if blank(siret) and blank(raison_sociale) and blank(uai):
        return []
    errors = []
    if blank(siret):
        errors.append(("formateur_siret", "Indiquez le SIRET de l'organisme formateur."))
    elif message := validate_siret(siret):
        errors.append(("formateur_siret", message))
    if blank(raison_sociale):
        errors.append(("formateur_raison_sociale", "Indiquez la raison sociale de l'organisme formateur."))
    if not blank(uai) and (message := validate_uai(uai)):
        errors.append(("formateur_uai", message))
    return errors


def normalize_formateur(siret, uai) -> tuple[str | None, str | None]:
    """SIRET and UAI as stored: no spaces, UAI in capitals, None when blank."""
    return normalize_siret(siret) or None, normalize_uai(uai) or None


def check_financeurs(rows: Iterable[tuple[str | None, int | None]]) -> list[str]:
    """(financeur code, funded places) of a session: at most 8 funders, each once, places >= 0."""
    rows = list(rows)
    errors = []
    if len(rows) > FINANCEURS_MAX:
        errors.append(f"Une session compte au plus {FINANCEURS_MAX} financeurs ({len(rows)} indiqués).")
    codes = [code for code, _places in rows]
    if None in codes:
        errors.append("Choisissez le financeur de chaque ligne.")
    elif len(set(codes)) != len(codes):
        errors.append("Un même financeur ne figure qu'une fois : regroupez ses places sur une seule ligne.")
    if any(places is not None and places < 0 for _code, places in rows):
        errors.append("Le nombre de places financées ne peut pas être négatif.")
    return errors


def check_action_content(values: Mapping[str, object], counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """The LHEO fields of an action: `values` its columns, `counts` the size of its collections."""
    errors = []
    if "intitule" in values and (message := required_text(values["intitule"])):  # absent: not given
        errors.append(("intitule", message))
    for name, table in (("parcours", PARCOURS), ("validation_blocs", VALIDATION_BLOCS)):
        if values.get(name) is not None and values[name] not in table:  # None: not given (parcours: its default)
            errors.append((name, CHOICE_MESSAGE))
    errors += text_length_errors(values, ACTION_TEXT_LIMITS)
    errors += url_errors(values, ACTION_URLS)
    for name, (most, what) in ACTION_COLLECTION_LIMITS.items():
        if counts.get(name, 0) > most:
            errors.append((name, f"Choisissez au plus {most} {what}."))
    return errors


def foreign_blocs(blocs: Iterable[tuple[str, int]], certification_ids: Iterable[int]) -> str | None:
    """Blocs de compétences (code, certification id) that belong to none of the action's certifications."""
    mine = set(certification_ids)
    strangers = sorted(code for code, certification_id in blocs if certification_id not in mine)
    if not strangers:
        return None
    return ("Les blocs de compétences doivent appartenir aux certifications de l'action : retirez "
            f"{', '.join(strangers)}.")


def check_session_content(values: Mapping[str, object],
                          financeurs: Iterable[tuple[str | None, int | None]]) -> list[tuple[str, str]]:
    """The LHEO fields of a session: `values` its columns, `financeurs` (code, places) rows."""
    errors = []
    for name, (maximum, label) in PRICES.items():
        if message := check_price(values.get(name), maximum, label):
            errors.append((name, message))
    errors += text_length_errors(values, SESSION_TEXT_LIMITS)
    errors += url_errors(values, SESSION_URLS)
    errors += check_inscription_period(values.get("inscription_debut"), values.get("inscription_fin"))
    if message := check_dates_information(values.get("dates_information")):
        errors.append(("dates_information", message))
    errors += check_formateur(values.get("formateur_siret"), values.get("formateur_raison_sociale"),
                              values.get("formateur_uai"))
    errors += [("financeurs", message) for message in check_financeurs(financeurs)]
    if message := check_hours_sum(values.get("duree_totale"), values.get("heures_centre"),
                                  values.get("heures_entreprise")):
        errors.append(("heures_centre", message))
    return errors


SESSION_CONTENT_COLUMNS = (*PRICES, *SESSION_TEXT_LIMITS, *SESSION_URLS, "inscription_debut", "inscription_fin",
                           "dates_information", "formateur_siret", "formateur_uai", "duree_totale", "heures_centre",
                           "heures_entreprise")
ACTION_CONTENT_COLUMNS = ("intitule", "parcours", "validation_blocs", *ACTION_TEXT_LIMITS, *ACTION_URLS)
