"""Business rules of the back-office, as pure functions (no Flask, no SQLAlchemy).

Source: SPEC sections 2, 4 and 5 and the user FAQ. Every validator returns a
French, user-facing message (str) when the value is refused, or None when it is
valid. Validators refuse blank values too: callers skip optional fields (e.g.
the UAI of an organisme that is not an apprenticeship centre) when blank.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import siret as _siret

# --------------------------------------------------------------- identifiers

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


# ------------------------------------------------- SIRET, NDA, UAI of organismes

def _compact(value) -> str:  # drops every whitespace, non-breaking spaces included
    return "".join(str(value).split()) if value is not None else ""


def _blank(value) -> bool:
    """None, a blank string or an empty collection; False and 0 are answers."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, (list, tuple, set, frozenset, dict)) and not value


def normalize_siret(value) -> str:  # no validation
    return _compact(value)


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
    number = _compact(value)
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
    return _compact(value).upper()


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


# ------------------------------------------------------------------ perimeter

IDF_DEPARTEMENTS = ("75", "77", "78", "91", "92", "93", "94", "95")
_OVERSEAS = frozenset("971 972 973 974 975 976 984 986 987 988".split())
CARIF_OREF_MAP_URL = "https://reseau.intercariforef.org/lassociation-intercariforef#toc-carte-des-carif-oref"
# FAQ: "ce document doit peser moins de 1Mo". Mo read as the SI mégaoctet, 10**6
# bytes (not 2**20), "moins de" as strictly less: the stricter reading, so no
# accepted file can be too big under either reading of "1 Mo".
JUSTIFICATIF_MAX_BYTES = 1_000_000

PERIMETER_REFUSAL = (
    "Non, vous ne pouvez pas vous référencer sur DOKELIO Ile-de-France. "
    "Dokelio Ile-de-France, la base de données régionale de l'offre de formation "
    "professionnelle, concerne uniquement un périmètre régional, celui de l'Ile-de-France. "
    "Veuillez-vous rapprocher du Carif-Oref de votre région : " + CARIF_OREF_MAP_URL
)
JUSTIFICATION_REQUIRED = (
    "Votre organisme est situé hors Ile-de-France : vous devez joindre un justificatif "
    "de type convention de formation précisant un lieu de formation en présentiel "
    "francilien (en anonymisant impérativement le document s'il contient des informations "
    "concernant un individu ; cf. RGPD). Ce document doit être au format PDF et peser "
    "moins de 1 Mo. Sans ce document, nous ne pourrons pas accepter votre inscription."
)


def departement_of(code_postal) -> str | None:
    """Département of a French 5-digit postal code ('20090' -> '2A', '97400' -> '974')."""
    if not isinstance(code_postal, str):
        return None
    cp = code_postal.strip()
    if len(cp) != 5 or not cp.isascii() or not cp.isdigit():
        return None
    head = cp[:2]
    if head == "20":
        return "2A" if int(cp) < 20200 else "2B"
    if head in ("97", "98"):  # overseas: 971-976 (975 St-Pierre), Pacific 984-988; 980 = Monaco
        return cp[:3] if cp[:3] in _OVERSEAS else None
    return None if head in ("00", "96", "99") else head


def is_in_idf(code_postal) -> bool:
    """True iff the postal code is in one of the 8 départements of Ile-de-France."""
    return departement_of(code_postal) in IDF_DEPARTEMENTS


def check_registration_perimeter(code_postal_siege, offers_presentiel_in_idf: bool,
                                 foad_only: bool, has_justification: bool) -> str | None:
    """Pré-inscription (FAQ section 2); a missing or foreign postal code counts as outside IDF."""
    if is_in_idf(code_postal_siege):
        return None
    if foad_only or not offers_presentiel_in_idf:
        return PERIMETER_REFUSAL
    if not has_justification:
        return JUSTIFICATION_REQUIRED
    return None


def validate_justificatif(head: bytes, size: int) -> str | None:
    """The uploaded justification: a PDF (magic bytes) of less than 1 Mo."""
    if size <= 0 or not head:
        return "Le justificatif est vide."
    if size >= JUSTIFICATIF_MAX_BYTES:
        return "Le justificatif doit peser moins de 1 Mo."
    if not head.startswith(b"%PDF-"):
        return "Le justificatif doit être au format PDF."
    return None


MODALITES = ("presentiel", "mixte", "foad")


def check_session_place(modalite: str, code_postal: str | None) -> str | None:
    """A présentiel or mixte session needs a training place in Ile-de-France."""
    if modalite not in MODALITES:
        return "La modalité de formation doit être présentiel, mixte ou à distance (FOAD)."
    if modalite == "foad":
        return None
    if code_postal is None or not str(code_postal).strip():
        return "Un lieu de formation est obligatoire pour une session en présentiel ou mixte."
    dep = departement_of(code_postal)
    if dep is None:
        return "Le code postal du lieu de formation n'est pas valide."
    if dep not in IDF_DEPARTEMENTS:
        return (f"Le lieu de formation est situé dans le département {dep} : seules les "
                "formations ayant lieu en Ile-de-France (départements "
                + ", ".join(IDF_DEPARTEMENTS) + ") peuvent être référencées.")
    return None


def check_session_dates(date_debut: date | None, date_fin: date | None) -> str | None:
    """Both dates are required and the end is not before the start."""
    if date_debut is None or date_fin is None:
        return "Les dates de début et de fin de la session sont obligatoires."
    if date_fin < date_debut:
        return "La date de fin doit être postérieure ou égale à la date de début."
    return None


# ------------------------------------------------------- CPF, doublon, titles

def is_cpf(certifications: Iterable) -> bool:
    """CPF tag: some linked certification is CPF-eligible (objects or dicts)."""
    for cert in certifications or ():
        if isinstance(cert, Mapping):
            flag = cert.get("eligible_cpf")
        else:
            flag = getattr(cert, "eligible_cpf", None)
        if flag:
            return True
    return False


def find_doublon(cert_ids: Iterable[int],
                 others: Iterable[tuple[str, Iterable[int]]]) -> str | None:
    """Numero of the first other action (same organisme) sharing a certification."""
    mine = {c for c in cert_ids if c is not None}
    if not mine:
        return None
    for numero, ids in others:
        if mine.intersection(ids):
            return numero
    return None


_TRANSLITERATE = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "Þ": "TH",
})


def _fold(text: str) -> str:
    """Lower case ASCII-ish text: ligatures spelt out, accents stripped."""
    text = unicodedata.normalize("NFKD", str(text).translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def normalize_title(s) -> str:
    """Casefold, strip accents, punctuation and runs of spaces -> one space."""
    if s is None:
        return ""
    words = re.split(r"[\W_]+", _fold(s))
    return " ".join(w for w in words if w)


def title_warning(intitule, cert_title) -> str | None:
    """Warn when the action's title is not the certification's exact title."""
    if cert_title is None or not normalize_title(cert_title):
        return None
    if normalize_title(intitule) == normalize_title(cert_title):
        return None
    return ("L'intitulé de l'action devrait correspondre à l'intitulé exact de la "
            f"certification : « {' '.join(str(cert_title).split())} ».")


# ------------------------------------------------------------ login identifiant

def login_base(prenom, nom) -> str:
    """First letter of the first name + last name, [a-z] only ("Éloïse D'Artagnan" -> edartagnan)."""
    first, last = (re.sub(r"[^a-z]", "", _fold(t or "")) for t in (prenom, nom))
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


# ------------------------------------------------- field locks (conventionnées)

CONTRACTUAL_FIELDS = ("date_debut", "date_fin", "duree_totale", "heures_centre", "heures_entreprise")
_CONTRACTUAL_LABELS = {
    "date_debut": ("La date de début", "la"),
    "date_fin": ("La date de fin", "la"),
    "duree_totale": ("La durée totale", "la"),
    "heures_centre": ("Le nombre d'heures en centre", "le"),
    "heures_entreprise": ("Le nombre d'heures en entreprise", "le"),
}


def parse_lock_policy(text: str | None) -> frozenset[str]:
    """'date_debut, date_fin' -> frozenset; unknown names ignored; None/'' -> empty."""
    if not text:
        return frozenset()
    names = (part.strip().lower() for part in text.split(","))
    return frozenset(n for n in names if n in CONTRACTUAL_FIELDS)


def locked_fields(conventionnee: bool, policy_text: str | None,
                  is_documentaliste: bool) -> frozenset[str]:
    """Fields the user may not change: the programme's policy, for an OF on a conventionnée."""
    if is_documentaliste or not conventionnee:
        return frozenset()
    return parse_lock_policy(policy_text)


def locked_violations(changes: dict[str, tuple[object, object]], locked) -> list[str]:
    """One French message per locked field whose value really changes."""
    messages = []
    for field in CONTRACTUAL_FIELDS:
        if field not in locked or field not in changes:
            continue
        old, new = changes[field]
        if (_blank(old) and _blank(new)) or old == new:
            continue
        label, pronoun = _CONTRACTUAL_LABELS[field]
        messages.append(f"{label} est une donnée contractuelle : seule l'équipe du "
                        f"CARIF peut {pronoun} modifier.")
    return messages


# ---------------------------------------------------------- dates of the robot

REMINDER_DAYS_BEFORE = 10
INACTIVATION_DAYS = 120


def archiving_date(last_end: date) -> date:
    """One calendar month after the end of the last session (31 Jan -> 28/29 Feb)."""
    return last_end + relativedelta(months=1)


def reminder_date(last_end: date) -> date:
    """The day of the 'archivage dans 10 jours' e-mail."""
    return archiving_date(last_end) - timedelta(days=REMINDER_DAYS_BEFORE)


def inactivation_date(completude_date: date) -> date:
    """120 days after the demande de complétude."""
    return completude_date + timedelta(days=INACTIVATION_DAYS)


def latest_end_archived_by(day: date) -> date:
    """Largest last-session end e with archiving_date(e) <= day.

    archiving_date is non-decreasing, so the job archives exactly the actions
    whose last end is <= this date. day - 1 month qualifies; several ends can
    share the archiving day (29-31 Jan -> 28 Feb), so step up at most 3 days.
    """
    e = day - relativedelta(months=1)
    while archiving_date(e + timedelta(days=1)) <= day:
        e += timedelta(days=1)
    return e


def latest_end_reminded_by(day: date) -> date:
    """Largest last-session end e with reminder_date(e) <= day."""
    return latest_end_archived_by(day + timedelta(days=REMINDER_DAYS_BEFORE))


# ---------------------------------------------------------- mandatory fields

# The FAQ's (*) fields, keyed by the column names of schema.sql where they exist.
# Booleans (modulaire, module_autonome, conventionnee) only count as missing when
# None: False is an answer. type_accompagnement is only asked of an accompagnement.
ACTION_MANDATORY = {
    "type": "Action ou module",
    "modulaire": "Action modulaire",
    "module_autonome": "Module autonome",
    "conventionnee": "Action conventionnée",
    "intitule": "Intitulé",
    "objectif": "Objectif",
    "contenu": "Contenu",
    "resultats_attendus": "Résultats attendus",
    "niveau_sortie_code": "Niveau de sortie",
}
ACCOMPAGNEMENT_MANDATORY = {**ACTION_MANDATORY, "type_accompagnement": "Type d'accompagnement"}
SESSION_MANDATORY = {
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "duree_totale": "Durée totale (heures)",
    "modalite_code": "Modalités",
    "dispositif_id": "Dispositif",
}


def missing_fields(values: Mapping[str, object],
                   mandatory: Mapping[str, str] = ACTION_MANDATORY) -> tuple[str, ...]:
    """Labels of the mandatory fields that are absent or blank, in `mandatory`'s order."""
    return tuple(label for key, label in mandatory.items() if _blank(values.get(key)))
