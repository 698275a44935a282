"""Actions and sessions of the generated base, with the published version of the visé actions.

Two passes. `plan` draws what the sessions depend on (organisme, workflow state and dates,
conventionnée, imported, price) for every action, then how many sessions each gets. `write`
then takes the actions in id order: an action's sessions go to the session COPY (on a second
connection) while the action row goes to the action COPY with its published version, built from
the very rows written (bench/published.py): no second pass over the database, flat memory.
Link tables and funders are copied afterwards. Shares are documented in generate.py (workflow,
dates) and content.py (LHEO content).
"""
from __future__ import annotations

import bisect
import itertools
import math
import time
from collections import Counter, namedtuple
from datetime import datetime, timedelta
from decimal import Decimal

from backoffice import workflow as W
from backoffice.models import Action, Session
from backoffice.models.search_keys import action_key
from bench import content, vocab
from bench.published import action_version, columns, session_content
from bench.rows import ts

# (controle, publication, etat_fiche, weight, last_actor): plausible shares of a mature base
C, P, F = W.Controle, W.Publication, W.EtatFiche
STATES = [
    (C.VISE, P.DIFFUSABLE, F.CREE, 56, "Documentaliste"),
    (C.VISE, P.ARCHIVE, F.ARCHIVE, 14, "Robot"),
    (C.EN_REDACTION, P.BROUILLON, F.CREE, 8, "Organisme de formation"),
    (C.A_CONTROLER, P.EN_REDACTION, F.CREE, 4, "Organisme de formation"),
    (C.A_CONTROLER, P.DIFFUSABLE, F.CREE, 3, "Organisme de formation"),
    (C.A_MODIFIER, P.EN_REDACTION, F.CREE, 3, "Documentaliste"),
    (C.A_MODIFIER, P.DIFFUSABLE, F.CREE, 2, "Documentaliste"),
    (C.INACTIF, P.A_SUPPRIMER, F.CREE, 3, "Robot"),
    (C.EN_REDACTION, P.ARCHIVE, F.ARCHIVE, 2, "Robot"),
    (C.A_CONTROLER, P.ARCHIVE, F.ARCHIVE, 1, "Robot"),
    (C.VISE, P.EN_REDACTION, F.DESARCHIVE, 2, "Organisme de formation"),
    (C.A_MODIFIER, P.EN_REDACTION, F.CREE, 2, "Organisme de formation"),  # désarchivée then saved
]
STATE_CUM = list(itertools.accumulate(s[3] for s in STATES))
DUREES = [7, 14, 21, 35, 70, 105, 140, 210, 300, 350, 400, 455, 600, 800, 1200, 1600]
ONE_DECIMAL = Decimal("0.1")  # the scale of the session hours (NUMERIC(7, 1))
# link table -> (relationship of the Action model, column)
LINKS = {"action_certification": ("certifications", "certification_id"),
         "action_bloc_competences": ("blocs", "bloc_id"), "action_formacode": ("formacodes", "formacode_code"),
         "action_nsf": ("nsfs", "nsf_code"), "action_rome": ("romes", "rome_code"),
         "action_public_vise": ("publics", "public_vise_code"), "action_langue": ("langues", "langue_code"),
         "action_modalite_pedagogique": ("modalites_pedagogiques_codes", "modalite_pedagogique_code")}

# what most sessions of an action share with its first one (the place, hours, price, terms, funders...):
# what LHEO holds per <action>, so that the feed groups them as a real base does
SAME_COURSE = ("lieu_id", "modalite_code", "duree_totale", "heures_centre", "heures_entreprise", "dispositif_id",
               "duree_cycle", "annees_apprentissage", "niveau_bac", "rythme", "unites_centre", "unites_entreprise",
               "rythme_formation", "modalites_alternance", "prix_total_ttc", "prix_horaire_ttc", "frais_restants",
               "detail_prise_en_charge", "adresse_information_id", "formateur_siret", "formateur_raison_sociale",
               "formateur_uai", "action_externe")

Plan = namedtuple("Plan", "aid oid created state updated soumis vise completude archive_le last_end kind modulaire "
                          "parent conventionnee programme imported hourly")


class OfferRows:
    """The actions and sessions of a Generator's organismes (its referentials, books and rng)."""

    def __init__(self, gen):
        self.g = gen
        self.plans: list[Plan] = []
        self.session_counts: list[int] = []
        self.used_certs: dict[int, set] = {}  # organisme -> its certifications (one action each: doublon)
        self.financeur_rows: list[tuple] = []
        self.sid = itertools.count(1)
        self.alternance = {r[0] for r in gen.conn.execute(
            "SELECT id FROM dispositif WHERE apprentissage OR code IN ('PROFESSIONNALISATION', 'PRO_A')")}
        self.apprentissage = [d for d, a in gen.dispositifs.items() if a]
        self.autres = [d for d, a in gen.dispositifs.items() if not a]

    def _action_dates(self, state, created: datetime):
        """(updated, soumis, vise, completude, archive_le, last_end) consistent with the robot rules."""
        g, rng = self.g, self.g.rng
        controle, publication, fiche = state[:3]
        updated = g._between(created, g.now, 2.0)
        soumis = vise = completude = archive_le = None
        if controle != C.EN_REDACTION or publication in (P.DIFFUSABLE, P.ARCHIVE) or fiche == F.DESARCHIVE:
            soumis = g._between(created, updated)
        if controle == C.VISE or publication == P.DIFFUSABLE:
            vise = g._between(soumis or created, updated)
        if controle == C.A_MODIFIER and fiche == F.CREE:
            completude = ts(g.now - timedelta(days=rng.uniform(0, 110)))
            updated = max(updated, completude)
        if controle == C.INACTIF:
            completude = ts(g.now - timedelta(days=rng.uniform(125, 900)))
            updated = max(updated, completude + timedelta(days=120))
        if fiche == F.ARCHIVE:
            # the nightly robot run stamps every action it archives with the same time, as in production
            day = g._between(created + timedelta(days=45), g.now - timedelta(days=1), 1.5).date()
            archive_le = datetime.combine(day, datetime.min.time()) + timedelta(hours=2)
            updated = max(updated, archive_le)
            last_end = archive_le.date() - timedelta(days=31 + rng.randrange(60))
        elif publication == P.DIFFUSABLE and rng.random() < 0.004:
            last_end = g.today - timedelta(days=rng.randint(32, 45))  # due for archiving today
        else:
            last_end = g.today + timedelta(days=rng.randint(-20, 540))
        return min(updated, g.now), soumis, vise, completude, archive_le, last_end

    # ------------------------------------------------------------ plan
    def plan(self):
        g, rng, n = self.g, self.g.rng, self.g.n["actions"]
        total = g.org_cum[-1]
        picks = []
        for _ in range(n):
            oid = 0
            while not g.org_valide[oid]:  # an organisme not validated yet (or refused) has no action
                oid = g.org_by_rank[bisect.bisect_left(g.org_cum, rng.random() * total)]
            picks.append((max(g.org_created[oid], g._past(4300, 1.2)), oid))
        picks.sort()  # ids grow with the creation date, as in a real base
        last_modulaire: dict[int, int] = {}
        for aid, (created, oid) in enumerate(picks, 1):
            state = STATES[bisect.bisect_right(STATE_CUM, rng.random() * STATE_CUM[-1])]
            if state[2] == F.ARCHIVE and created > g.now - timedelta(days=60):
                state = STATES[0]  # too young to have been archived by the robot
            dates = self._action_dates(state, created)
            kind = rng.choices(("action", "module", "accompagnement"), (88, 8, 4))[0]
            modulaire = kind == "action" and rng.random() < 0.03
            parent = last_modulaire.get(oid) if kind == "module" else None
            if modulaire:
                last_modulaire[oid] = aid
            conventionnee = rng.random() < 0.15 and bool(g.programmes)
            self.plans.append(Plan(aid, oid, created, state, *dates, kind, modulaire, parent, conventionnee,
                                   rng.choice(g.programmes) if conventionnee else None, rng.random() < 0.08,
                                   min(150.0, max(4.0, rng.lognormvariate(math.log(15), 0.5)))))
        # Every action but half the drafts has at least one session; the rest follow a heavy tail.
        needs = [i for i, p in enumerate(self.plans) if not (p.state[1] == P.BROUILLON and rng.random() < 0.5)]
        counts = Counter(needs)
        extra = g.n["sessions"] - len(needs)
        if extra > 0:
            cum = list(itertools.accumulate(rng.paretovariate(1.6) for _ in needs))
            counts.update(needs[bisect.bisect_left(cum, rng.random() * cum[-1])] for _ in range(extra))
        self.session_counts = [counts.get(i, 0) for i in range(len(self.plans))]

    # ------------------------------------------------------------ write
    def write(self, session_conn):
        """COPY the actions (self.g.conn) and their sessions (session_conn) side by side, then the
        link tables and the sessions' funders."""
        g = self.g
        links = {table: [] for table in LINKS}
        action_names, session_names = columns(Action), columns(Session)
        action_keys, session_keys = set(action_names), set(session_names)
        started = time.perf_counter()
        with g.conn.cursor() as a_cur, a_cur.copy(f"COPY action ({', '.join(action_names)}) FROM STDIN") as a_copy, \
                session_conn.cursor() as s_cur, \
                s_cur.copy(f"COPY session ({', '.join(session_names)}) FROM STDIN") as s_copy:
            for plan, count in zip(self.plans, self.session_counts, strict=True):
                row, collections = self._action(plan)
                for table, (key, _column) in LINKS.items():
                    links[table].extend((plan.aid, value) for value in collections[key])
                sessions = []
                for session, financeurs in self._sessions(plan, count):
                    _check(session, session_keys)
                    s_copy.write_row([session[name] for name in session_names])
                    if plan.vise:
                        sessions.append(session_content(session, g.addresses, g.contacts, financeurs))
                if plan.vise:  # VISER stored it (a diffusable action always has one: schema.sql)
                    row["version_publiee"] = action_version(row, collections, g.contacts, sessions)
                _check(row, action_keys)
                a_copy.write_row([row[name] for name in action_names])
        g.timings["action + session"] = time.perf_counter() - started
        self.plans = self.session_counts = None
        for table, (_key, column) in LINKS.items():
            g._copy(table, ["action_id", column], links.pop(table))
        g._copy("session_financeur", ["session_id", "financeur_code", "nb_places"], self.financeur_rows,
                session_conn)

    def _action(self, p: Plan) -> tuple[dict, dict]:
        """The action row (every column) and its collections (relationship -> ids or codes)."""
        g, rng = self.g, self.g.rng
        titre = vocab.titre(rng)
        certs, blocs, validation_blocs = [], [], None
        if p.kind == "action" and rng.random() < 0.6:
            taken = self.used_certs.setdefault(p.oid, set())
            for _ in range(3):
                cert = rng.choice(g.cert_ids)
                if cert not in taken:
                    taken.add(cert)
                    certs.append(cert)
                    if rng.random() < 0.8:
                        titre = g.cert_titles[cert][:255]
                    blocs, validation_blocs = content.blocs_for(rng, g.cert_blocs.get(cert))
                    break
        collections = {
            "certifications": certs, "blocs": blocs,
            "formacodes": rng.sample(g.formacodes, min(len(g.formacodes), rng.randint(1, 3))),
            "nsfs": [rng.choice(g.nsfs)], "romes": g.codes.romes_for(rng),
            "publics": sorted(g.codes.publics_for(rng)), "langues": g.codes.langues_for(rng, titre),
            "modalites_pedagogiques_codes": g.codes.modalites_for(rng)}
        c_first, c_count = g.contact_range[p.oid]
        controle, publication, fiche, _weight, last_actor = p.state
        completude_message = "Merci de préciser le contenu et les modalités d'évaluation." if p.completude else None
        row = {
            "id": p.aid, "numero": f"AF_{p.aid:010d}", "organisme_id": p.oid, "parent_id": p.parent, "type": p.kind,
            "modulaire": p.modulaire, "module_autonome": p.kind == "module" and rng.random() < 0.5,
            "type_accompagnement": "Accompagnement VAE" if p.kind == "accompagnement" else None,
            "conventionnee": p.conventionnee, "programme_id": p.programme, "intitule": titre,
            "objectif": vocab.paragraph(rng, vocab.OBJECTIFS, 1, 3),
            "contenu": vocab.paragraph(rng, vocab.CONTENUS, 3, 8, "\n"),
            "resultats_attendus": rng.choice(vocab.RESULTATS), "public_vise": rng.choice(vocab.PUBLICS),
            "niveau_entree_code": rng.choice(g.niveaux), "niveau_sortie_code": rng.choice(g.niveaux),
            "attestation_suivi": rng.random() < 0.5, "validation_partielle": rng.random() < 0.1,
            "sessions_par_an": rng.randint(1, 12) if rng.random() < 0.6 else None, "periodicite": None,
            "entrees_sorties": "1" if rng.random() < 0.2 else "0", "validation_blocs": validation_blocs,
            "contact_id": c_first + rng.randrange(c_count) if c_count and rng.random() < 0.7 else None,
            "source": "Flux LHEO organisme" if p.imported else None,
            "identifiant_externe": f"EXT-{p.oid}-{p.aid}" if p.imported else None,
            "controle": controle, "publication": publication, "etat_fiche": fiche, "soumis_le": p.soumis,
            "vise_le": p.vise, "completude_le": p.completude, "completude_message": completude_message,
            "archive_le": p.archive_le, "version_publiee": None, "version_source": None,
            "version_id": rng.randint(1, 12), "created_at": p.created, "updated_at": p.updated,
            "last_actor": last_actor,
            **content.action_fields(rng, p.oid, p.aid, g.org_site[p.oid], p.conventionnee, p.modulaire)}
        row["search_key"] = action_key(row, g.org_search_key[p.oid])  # as models/search_keys.py keeps it
        row["organisme_tri"] = g.org_sort_key[p.oid]  # as models/sort_keys.py keeps it
        return row, collections

    def _sessions(self, p: Plan, k: int):
        """(row of every column, [(financeur code, places)]) for each of the k sessions of an action."""
        g, rng = self.g, self.g.rng
        apprentissage, autres = self.apprentissage, self.autres
        old = g.today - timedelta(days=30)
        a_first, a_count, p_first, p_count = g.addr_range[p.oid]
        archived = p.state[2] == F.ARCHIVE
        start = min(p.created.date(), p.last_end)
        span = max((p.last_end - start).days, 0)
        # only sessions still to come may be known to the month or year only: widening the end of
        # a past one could move its action's archiving date (robot rules)
        may_widen = p.imported and not archived and p.last_end >= g.today
        programme_financeur = g.programme_financeur.get(p.programme)
        for j in range(k):
            fin = p.last_end if j == k - 1 else start + timedelta(days=int(span * rng.random()))
            debut = fin - timedelta(days=int(1 + 299 * rng.random() ** 3))
            debut, debut_precision, fin, fin_precision = content.partial_dates(rng, debut, fin, may_widen)
            modalite = rng.choices(("presentiel", "mixte", "foad"), (80, 10, 10))[0]
            r = rng.random()
            dispositif = (rng.choice(apprentissage) if r < 0.12 and apprentissage
                          else rng.choice(autres) if r < 0.45 and autres else None)
            app = dispositif in apprentissage
            duree = Decimal(rng.choice(DUREES)).quantize(ONE_DECIMAL)
            created = g._between(p.created, p.updated)
            se = next(self.sid)
            ctx = content.SessionContext(p.oid, se, p.aid, p.imported, p.conventionnee, p.hourly, (a_first, a_count),
                                         g.contact_range[p.oid], g.org_site[p.oid], app, dispositif in self.alternance,
                                         p.soumis is not None)
            financeurs = content.financeurs(rng, programme_financeur, g.known_financeurs)
            row = {
                "id": se, "numero": f"SE_{se:010d}", "action_id": p.aid, "date_debut": debut,
                "debut_precision": debut_precision, "date_fin": fin, "fin_precision": fin_precision,
                "lieu_id": None if modalite == "foad" and rng.random() < 0.5 else p_first + rng.randrange(p_count),
                "duree_totale": duree,
                "heures_centre": duree if not app else Decimal(int(duree) // 3).quantize(ONE_DECIMAL),
                "heures_entreprise": Decimal(int(duree) * 2 // 3).quantize(ONE_DECIMAL) if app else None,
                "modalite_code": modalite, "dispositif_id": dispositif,
                "duree_cycle": rng.randint(1, 3) if app else None, "annees_apprentissage": "1,2" if app else None,
                "niveau_bac": rng.choice(("pre_bac", "post_bac")) if app else None,
                "rythme": "2 jours en centre, 3 jours en entreprise" if app else None,
                "etat_recrutement_code": rng.choice(g.etats_recrutement) if fin >= g.today else g.etats_recrutement[-1],
                "archivee": archived or (j < k - 1 and fin < old and rng.random() < 0.6),
                "version_id": rng.randint(1, 4), "created_at": created, "updated_at": g._between(created, p.updated),
                "last_actor": "Organisme de formation",
                **content.session_fields(rng, ctx, debut, duree)}
            if j == 0:
                first = row, financeurs
            elif rng.random() < 0.7:  # the same course again: another date of the first session's offer
                row.update({key: first[0][key] for key in SAME_COURSE})
                financeurs = first[1]
            self.financeur_rows.extend((se, code, places) for code, places in financeurs)
            yield row, financeurs


def _check(row: dict, names: set[str]) -> None:
    """The row holds every column of the model and nothing else, so that no database default
    applies (bench/published.py builds the published version from the row)."""
    if row.keys() != names:
        raise RuntimeError(f"row columns differ from the model's: {set(row) ^ names}")
