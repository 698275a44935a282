"""A schema-cleaned <formation> element -> plain data for the writer (no database).

The inverse of backoffice.export.lheo: one <formation> = one action, identified in its feed by
formation/@numero; the sessions of all its LHEO <action>s become its sessions, each taking the
place, modality, hours, prices... of its <action> (parser_sessions). Every element the export
writes is read, and what third-party LHEO 2.2 / 2.3 feeds carry: partial dates with their
precision, a mixte or FOAD session without a place, a session without hours.

What the parser decides (business checks that need no database): SIRET / NDA / UAI keys, dates,
numbers and lengths. A value that cannot be kept is reported and left out ("rejet"), a session
that cannot be imported too, and a formation with nothing importable is reported and skipped.
When the LHEO actions of one formation disagree on a field the back-office holds once per action,
the first value is kept and the others reported ("avertissement"); so are the LHEO elements the
back-office has no field for (Tree.unread). The referential codes, the communes and the
perimeter are checked by the writer (they need the database).

Values: None or [] = "the feed says nothing" (the writer never blanks a value for that).
"""
from __future__ import annotations

from ..export.lheo import PARCOURS_CODES
from ..export.lheo_format import EXTRAS_INFO
from ..export.lheo_session import VALIDATION_BLOCS_CODES
from .elements import Tree, local
from .parser_parts import anonymous, organisme, person, split_lines, upstream, upstream_warning, url
from .parser_sessions import MAX_EXTERNAL_ID, sessions
from .report import ImportReport, element_path

TYPES = ("action", "module", "accompagnement")
ACTION_LEVEL_LABELS = {
    "publics": "code-public-vise", "public_vise": "info-public-vise",
    "niveau_entree_obligatoire": "niveau-entree-obligatoire", "conditions_specifiques": "conditions-specifiques",
    "prise_en_charge_possible": "prise-en-charge-frais-possible", "entrees_sorties": "modalites-entrees-sorties",
    "url_action": "url-action", "acces_handicapes": "acces-handicapes", "langues": "langue-formation",
    "modalites_recrutement": "modalites-recrutement", "modalites_pedagogiques": "modalites-pedagogiques",
    "modalites_pedagogiques_codes": "code-modalite-pedagogique", "conventionnee": "conventionnement",
    "programme": "extra programme",
}
CODE_FIELDS = ("publics", "langues", "modalites_pedagogiques_codes")
NIVEAU_NON_COMMUNIQUE = "0"  # dict-niveaux: "information non communiquée", nothing to keep
MAX_UNREAD_LISTED = 20

__all__ = ["Parser", "split_lines", "formation_refused"]


def formation_refused(organisme_data: dict, rejected: int) -> str:
    """The message of a formation none of whose sessions can be imported, naming its organisme."""
    fields = organisme_data["fields"]
    return (f"aucune session importable ({rejected} session(s) rejetée(s)) : formation ignorée, et avec elle "
            f"son organisme « {fields['raison_sociale']} » (SIRET {fields['siret']}) s'il n'est pas déjà dans la base")


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "aucun"
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)[:60]


class Parser:
    """Parses one formation, reporting into `report` under the formation's number."""

    def __init__(self, report: ImportReport, numero: str | None, removed: set[str] = frozenset()):
        self.report = report
        self.numero = numero
        self.removed = removed  # paths of what the schema refused (reader.clean_formation)

    def formation(self, el) -> dict | None:
        t = Tree(el, self.report, self.numero, self.removed)
        numero = (el.get("numero") or "").strip()
        if not numero or len(numero) > MAX_EXTERNAL_ID:
            t.reject(el, "formation sans identifiant exploitable (attribut numero absent ou de plus de "
                         f"{MAX_EXTERNAL_ID} caractères) : une réimportation ne pourrait pas la retrouver, "
                         "formation ignorée")
            return None
        intitule = t.text(el, "intitule-formation", limit=255)
        if intitule is None:
            t.reject(el, "intitulé de la formation absent : formation ignorée")
            return None
        org = organisme(t, t.child(el, "organisme-formation-responsable"))
        if org is None:
            return None
        data = {"numero": numero, "element": el, "organisme": org,
                "action": self.action_fields(t, el, intitule), **self.domaine(t, el),
                "certifications": self.certifications(t, el)}
        coord = t.child(el, "contact-formation", "coordonnees")
        data["contact"] = person(t, coord)
        anonymous(t, coord, org)
        level, found, rejected = self.lheo_actions(t, el, org)
        data["action"].update({k: v for k, v in level.items() if k not in CODE_FIELDS and k != "programme"})
        data["codes"].update({k: level[k] for k in CODE_FIELDS})
        data["programme"] = level["programme"]
        data["blocs"] = self.blocs(t, found)
        data["sessions"], data["rejected_sessions"] = found, rejected
        if not found:
            t.reject(el, formation_refused(org, len(rejected)))
            return None
        upstream(t, el, "formation")
        upstream_warning(t)
        self.report_unread(t)
        return data

    # ------------------------------------------------------------ formation level
    def action_fields(self, t: Tree, el, intitule: str) -> dict:
        mine = t.extras(el, EXTRAS_INFO)
        t.extra(mine, "eligible-cpf")  # derived from the certifications, never stored
        t.text(el, "certifiante")  # likewise
        kind = t.extra(mine, "type-action")
        if t.child(el, "identifiant-module") is not None:
            kind = kind or "module"
        if kind is not None and kind not in TYPES:
            t.reject(mine["type-action"][1], f"type d'action « {kind} » inconnu : valeur ignorée")
            kind = None
        parcours = t.text(el, "parcours-de-formation")
        niveau_entree = t.text(el, "code-niveau-entree")
        module_autonome = t.extra(mine, "module-autonome")
        return {
            "intitule": intitule, "type": kind,
            "objectif": t.text(el, "objectif-formation"), "resultats_attendus": t.text(el, "resultats-attendus"),
            "contenu": t.text(el, "contenu-formation"),
            "parcours": parcours if parcours in PARCOURS_CODES else None,
            "niveau_entree_code": None if niveau_entree == NIVEAU_NON_COMMUNIQUE else niveau_entree,
            "niveau_sortie_code": t.text(el, "code-niveau-sortie"),
            "url_formation": url(t, el, "url-formation"),
            "type_accompagnement": t.extra(mine, "type-accompagnement", limit=100),
            "module_autonome": None if module_autonome is None else module_autonome == "1",
            "attestation_suivi": self.flag(t, mine, "attestation-suivi"),
            "validation_partielle": self.flag(t, mine, "validation-partielle"),
            "sessions_par_an": self.small(t, mine, "sessions-par-an", 365),
            "periodicite": t.extra(mine, "periodicite", limit=100),
        }

    @staticmethod
    def flag(t: Tree, found: dict, name: str) -> bool | None:
        value = t.extra(found, name)
        return None if value is None else value == "1"

    @staticmethod
    def small(t: Tree, found: dict, name: str, high: int) -> int | None:
        value = t.extra(found, name)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()) or int(value) > high:
            t.reject(found[name][1], f"{name} « {value[:40]} » : nombre entier de 0 à {high} attendu : valeur ignorée")
            return None
        return int(value)

    @staticmethod
    def domaine(t: Tree, el) -> dict:
        domaine = t.child(el, "domaine-formation")
        return {"codes": {key: t.texts(domaine, tag) for key, tag in
                          (("formacodes", "code-FORMACODE"), ("nsfs", "code-NSF"), ("romes", "code-ROME"))}}

    @staticmethod
    def certifications(t: Tree, el) -> list[dict]:
        found = []
        for node in t.children(el, "certification"):
            codes = {key: t.text(node, tag) for key, tag in (("rncp", "code-RNCP"), ("certifinfo", "code-CERTIFINFO"),
                                                             ("rs", "code-RS"), ("cpf", "code-CPF"))}
            if any(codes[k] for k in ("rncp", "certifinfo", "rs")):
                found.append({**codes, "el": node})
            else:
                t.reject(node, "certification sans code RNCP, RS ni CERTIFINFO : certification ignorée")
        return found

    # ------------------------------------------------------------ LHEO actions and sessions
    def lheo_actions(self, t: Tree, el, org: dict) -> tuple[dict, list[dict], list]:
        """The action-level fields (the first LHEO action's, disagreements reported), the sessions
        of every LHEO action (each @numero once), and the @numero of the sessions rejected."""
        kept: dict = {}
        origin: dict = {}
        found, rejected, seen = [], [], set()
        for node in t.children(el, "action"):
            level, batch, refused = sessions(t, node, org)
            rejected += refused
            numero = node.get("numero") or "?"
            for key, value in level.items():
                self.keep_first(t, node, kept, origin, key, value, numero)
            for values in batch:
                base, rank = values["ext_id"], 1
                while values["ext_id"] in seen and base.startswith("#"):
                    rank += 1
                    values["ext_id"] = f"{base}#{rank}"
                if values["ext_id"] in seen:
                    t.reject(node, f"session « {base} » en double dans la formation : seconde occurrence ignorée")
                    continue
                seen.add(values["ext_id"])
                found.append(values)
        for key in ACTION_LEVEL_LABELS:
            kept.setdefault(key, [] if key in CODE_FIELDS else None)
        if kept["entrees_sorties"] not in (None, "0", "1"):
            kept["entrees_sorties"] = None
        return kept, found, rejected

    def keep_first(self, t: Tree, node, kept: dict, origin: dict, key: str, value, numero: str) -> None:
        """`numero`: the LHEO action's @numero ("?" when it has none)."""
        if value is None:
            return
        comparable = sorted([c for c, _el in value]) if key in CODE_FIELDS else (
            value[0] if key == "programme" and value else value)
        if comparable == []:
            return
        if key not in kept:
            kept[key], origin[key] = value, (numero, comparable)
            return
        first_numero, first = origin[key]
        if first != comparable:
            t.warn(node, f"« {ACTION_LEVEL_LABELS[key]} » diffère entre les actions LHEO de la formation "
                         f"(action {first_numero} : {_shown(first)} ; action {numero} : "
                         f"{_shown(comparable)}) : la base en garde une par formation, la première est retenue")

    def blocs(self, t: Tree, found: list[dict]) -> list[dict] | None:
        """The blocs de compétences the sessions prepare: the back-office holds them once per action
        (the first session's; a session saying otherwise is reported)."""
        first, first_key = None, None
        for values in found:
            entries = values.pop("_blocs")
            if not entries:
                continue
            key = sorted((e["validation"], tuple(sorted(c for c, _el in e["codes"]))) for e in entries)
            if first is None:
                first, first_key = entries, key
            elif key != first_key:
                t.warn(entries[0]["el"], "blocs de compétences différents d'une session à l'autre : la base les tient "
                                         "par action, ceux de la première session sont retenus")
        if first is None:
            return None
        for entry in first:
            if entry["validation"] not in VALIDATION_BLOCS_CODES:
                entry["validation"] = None
        return first

    # ------------------------------------------------------------ what nothing read
    def report_unread(self, t: Tree) -> None:
        """One warning per formation listing the elements the back-office has no field for."""
        paths: dict[str, int | None] = {}
        unread = t.unread()
        base = len(element_path(t.root)) if unread else 0  # a path only when there is one to report
        for el in unread:
            path = element_path(el)[base + 1:] or local(el)
            paths.setdefault(path, el.sourceline)
        if not paths:
            return
        listed = [f"{path} (ligne {line})" for path, line in list(paths.items())[:MAX_UNREAD_LISTED]]
        more = len(paths) - len(listed)
        t.warn(t.root, "éléments LHEO sans équivalent dans la base, non conservés : " + ", ".join(listed)
               + (f" et {more} autre(s)" if more > 0 else ""))

