"""Row generators for bench/generate.py: organismes, books, certifications, actions, sessions, users.

Each method streams rows into a COPY on the loading connection and keeps only the little it needs
for the next tables (id ranges, per-action dates). Distributions are documented in generate.py.
"""
import bisect
import itertools
import random
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg

from bench import vocab
from backoffice.rules import login_base

BENCH_PASSWORD = "motdepasse-bench-1"
DEFAULTS = {"organismes": 50_000, "actions": 400_000, "sessions": 1_200_000, "contacts": 150_000}
EXTRA_CERTIFICATIONS = 8_000  # the national referential does not scale with the region
BENCH_USERS = {"documentaliste": "benchdoc", "organisme_grand": "benchofgrand", "organisme_petit": "benchofpetit",
               "financeur": "benchfin", "admin": "benchadmin", "support": "benchsupport"}
BIG_TABLES = ["organisme", "adresse", "contact", "certification", "action", "action_certification",
              "action_formacode", "action_nsf", "session", "users", "user_organisme", "history"]

# (controle, publication, etat_fiche, weight, last_actor): plausible shares of a mature base
STATES = [
    ("vise", "diffusable", "cree", 56, "Documentaliste"),
    ("vise", "archive", "archive", 14, "Robot"),
    ("en_redaction", "brouillon", "cree", 8, "Organisme de formation"),
    ("a_controler", "en_redaction", "cree", 4, "Organisme de formation"),
    ("a_controler", "diffusable", "cree", 3, "Organisme de formation"),
    ("a_modifier", "en_redaction", "cree", 3, "Documentaliste"),
    ("a_modifier", "diffusable", "cree", 2, "Documentaliste"),
    ("inactif", "a_supprimer", "cree", 3, "Robot"),
    ("en_redaction", "archive", "archive", 2, "Robot"),
    ("a_controler", "archive", "archive", 1, "Robot"),
    ("vise", "en_redaction", "desarchive", 2, "Organisme de formation"),
    ("a_modifier", "en_redaction", "cree", 2, "Organisme de formation"),  # désarchivée then saved
]
STATE_CUM = list(itertools.accumulate(s[3] for s in STATES))


def _ts(d: datetime) -> datetime:
    return d.replace(microsecond=0)


class Generator:
    """Builds the rows; `today` anchors every date so that the robot rules hold on the day of the run."""

    def __init__(self, conn: psycopg.Connection, scale: float, seed: int, today: date):
        self.conn = conn
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime.combine(today, datetime.min.time()) + timedelta(hours=8)
        self.n = {k: max(1, round(v * scale)) for k, v in DEFAULTS.items()}
        self.timings: dict[str, float] = {}
        self._load_referentials()

    # ------------------------------------------------------------ helpers
    def _load_referentials(self):
        q = lambda sql: [r[0] for r in self.conn.execute(sql)]  # noqa: E731
        self.depts = dict(self.conn.execute("SELECT code, region_code FROM departement").fetchall())
        self.other_depts = [c for c in self.depts if c not in vocab.IDF and c.isdigit() and len(c) == 2]
        self.niveaux = q("SELECT code FROM niveau ORDER BY code")
        self.formacodes = q("SELECT code FROM formacode ORDER BY code")
        self.nsfs = q("SELECT code FROM nsf ORDER BY code")
        self.programmes = q("SELECT id FROM programme ORDER BY id")
        self.dispositifs = dict(self.conn.execute("SELECT id, apprentissage FROM dispositif").fetchall())
        self.etats_recrutement = q("SELECT code FROM etat_recrutement ORDER BY code")
        self.financeurs = q("SELECT code FROM financeur ORDER BY code")
        self.cert_start = self.conn.execute("SELECT coalesce(max(id), 0) FROM certification").fetchone()[0]

    def _copy(self, table: str, columns: list[str], rows) -> int:
        started = time.perf_counter()
        count = 0
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        self.timings[table] = self.timings.get(table, 0) + time.perf_counter() - started
        return count

    def _past(self, max_days: int, skew: float = 1.0) -> datetime:
        """A moment in the last max_days days, skewed towards today when skew > 1."""
        return _ts(self.now - timedelta(seconds=max_days * 86400 * self.rng.random() ** skew))

    def _between(self, start: datetime, end: datetime, skew: float = 1.0) -> datetime:
        span = max((end - start).total_seconds(), 0)
        return _ts(end - timedelta(seconds=span * self.rng.random() ** skew))

    # ------------------------------------------------------------ organismes and their books
    def organismes(self):
        rng, n = self.rng, self.n["organismes"]
        self.addr_range: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # org id -> (first adresse id, count)
        self.contact_range: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        # Zipf weights over a random permutation: the largest organisme is not id 1.
        ranked = list(range(1, n + 1))
        rng.shuffle(ranked)
        self.org_by_rank = ranked
        self.org_cum = list(itertools.accumulate(1.0 / r for r in range(1, n + 1)))
        self.org_created = [None] * (n + 1)
        self.org_idf = [True] * (n + 1)

        def rows():
            for oid in range(1, n + 1):
                idf = rng.random() < 0.9
                dept = rng.choice(vocab.IDF) if idf else rng.choice(self.other_depts)
                self.org_idf[oid] = idf
                created = self._past(4400, 1.3)
                self.org_created[oid] = created
                updated = self._between(created, self.now, 2.0)
                name = vocab.organisme_name(rng)
                etat = "valide" if rng.random() < 0.95 else rng.choice(["brouillon", "brouillon", "refuse"])
                city = rng.choice(vocab.VILLES_IDF[dept]) if idf else f"Ville {dept}"
                yield (oid, f"OF_{oid:010d}", vocab.siret(rng), f"11{rng.randrange(10**9):09d}",
                       f"0{dept}{rng.randrange(10000):04d}{'ABCDEFGHJ'[rng.randrange(9)]}" if rng.random() < 0.05 else None,
                       f"{rng.choice(vocab.ORG_FORMES)} {name}", name if rng.random() < 0.7 else None,
                       rng.random() < 0.97, rng.random() < 0.03, rng.random() < 0.02,
                       f"{rng.randint(1, 99)}", rng.choice(vocab.VOIES), vocab.postal(rng, dept), city,
                       self.depts[dept], f"01{rng.randrange(10**8):08d}", f"contact@of{oid}.fr",
                       f"https://www.of{oid}.fr" if rng.random() < 0.6 else None, etat,
                       not idf and rng.random() < 0.3, created, updated,
                       rng.choice(["Organisme de formation", "Documentaliste"]), rng.randint(1, 6))
        cols = ["id", "numero", "siret", "nda", "uai", "raison_sociale", "nom_usuel", "est_organisme_formation",
                "est_financeur", "est_mediateur", "numero_voie", "voie", "code_postal", "ville", "region_code",
                "telephone", "courriel", "site_internet", "etat", "formation_foad_uniquement", "created_at",
                "updated_at", "last_actor", "version_id"]
        self._copy("organisme", cols, rows())

    def adresses_and_contacts(self):
        rng, n = self.rng, self.n["organismes"]
        # addresses: big organismes have more training places
        rank_of = {oid: r for r, oid in enumerate(self.org_by_rank, 1)}
        next_id = itertools.count(1)

        def addr_rows():
            for oid in range(1, n + 1):
                r = rank_of[oid]
                count = 1 + int(rng.random() < 0.5) + (min(40, int(200 / r)) if r < 200 else 0)
                first = None
                for k in range(count):
                    aid = next(next_id)
                    first = first or aid
                    dept = rng.choice(vocab.IDF) if self.org_idf[oid] or k else rng.choice(self.other_depts)
                    created = self._between(self.org_created[oid], self.now, 1.5)
                    city = rng.choice(vocab.VILLES_IDF[dept]) if dept in vocab.VILLES_IDF else f"Ville {dept}"
                    yield (aid, oid, "Site principal" if k == 0 else f"Site {k + 1}", str(rng.randint(1, 120)),
                           rng.choice(vocab.VOIES), vocab.postal(rng, dept), city, dept, self.depts[dept],
                           created, self._between(created, self.now, 2), "Organisme de formation")
                self.addr_range[oid] = (first, count)
        self._copy("adresse", ["id", "organisme_id", "libelle", "numero_voie", "voie", "code_postal", "ville",
                               "departement_code", "region_code", "created_at", "updated_at", "last_actor"],
                   addr_rows())
        # contacts: exactly n["contacts"], at least one per organisme when there are enough
        per_org = Counter(range(1, n + 1)) if self.n["contacts"] >= n else Counter()
        extra = self.n["contacts"] - sum(per_org.values())
        per_org.update(self.org_by_rank[bisect.bisect_left(self.org_cum, rng.random() * self.org_cum[-1])] if rng.random() < 0.3
                       else rng.randint(1, n) for _ in range(extra))
        cid = itertools.count(1)

        def contact_rows():
            for oid in range(1, n + 1):
                count = per_org.get(oid, 0)
                first = None
                for k in range(count):
                    c = next(cid)
                    first = first or c
                    nom, prenom = rng.choice(vocab.NOMS), rng.choice(vocab.PRENOMS)
                    created = self._between(self.org_created[oid], self.now, 1.5)
                    yield (c, oid, nom, prenom, rng.choice(vocab.FONCTIONS), f"01{rng.randrange(10**8):08d}",
                           f"06{rng.randrange(10**8):08d}" if rng.random() < 0.5 else None,
                           f"{prenom[0].lower()}.{nom.lower()}@of{oid}.fr", rng.random() < 0.85, k == 0,
                           created, self._between(created, self.now, 2), "Organisme de formation")
                self.contact_range[oid] = (first or 0, count)
        self._copy("contact", ["id", "organisme_id", "nom", "prenom", "fonction", "telephone", "mobile", "courriel",
                               "diffusable", "principal", "created_at", "updated_at", "last_actor"], contact_rows())

    def certifications(self):
        rng = self.rng
        levels = [c for c in self.niveaux if c.isdigit() and int(c) >= 11] or self.niveaux

        def rows():
            for k in range(EXTRA_CERTIFICATIONS):
                cid = self.cert_start + 1 + k
                rncp = k % 3 != 0
                first = rng.randint(2010, 2026)
                yield (cid, 90_000 + k, f"RNCP{40000 + k}" if rncp else None, None if rncp else f"RS{7000 + k}",
                       f"{rng.choice(vocab.CERT_TYPES)} {rng.choice(vocab.DOMAINES)}"[:300], rng.choice(levels),
                       rng.random() < 0.6, first, first + rng.randint(0, 8) if rng.random() < 0.4 else None,
                       "active" if rng.random() < 0.85 else "inactive")
        self._copy("certification", ["id", "certifinfo", "code_rncp", "code_rs", "intitule", "niveau_code",
                                     "eligible_cpf", "premiere_session", "derniere_session", "etat"], rows())
        self.cert_ids = list(range(1, self.cert_start + EXTRA_CERTIFICATIONS + 1))
        self.cert_titles = dict(self.conn.execute("SELECT id, intitule FROM certification").fetchall())

    # ------------------------------------------------------------ actions
    def _action_dates(self, state, created: datetime):
        """(updated, soumis, vise, completude, archive_le, last_end) consistent with the robot rules."""
        rng, today = self.rng, self.today
        controle, publication, fiche = state[:3]
        updated = self._between(created, self.now, 2.0)
        soumis = vise = completude = archive_le = None
        if controle != "en_redaction" or publication in ("diffusable", "archive") or fiche == "desarchive":
            soumis = self._between(created, updated)
        if controle == "vise" or publication == "diffusable":
            vise = self._between(soumis or created, updated)
        if controle == "a_modifier" and fiche == "cree":
            completude = _ts(self.now - timedelta(days=rng.uniform(0, 110)))
            updated = max(updated, completude)
        if controle == "inactif":
            completude = _ts(self.now - timedelta(days=rng.uniform(125, 900)))
            updated = max(updated, completude + timedelta(days=120))
        if fiche == "archive":
            # the nightly robot run stamps every action it archives with the same time, as in production
            day = self._between(created + timedelta(days=45), self.now - timedelta(days=1), 1.5).date()
            archive_le = datetime.combine(day, datetime.min.time()) + timedelta(hours=2)
            updated = max(updated, archive_le)
            last_end = archive_le.date() - timedelta(days=31 + rng.randrange(60))
        elif publication == "diffusable" and rng.random() < 0.004:
            last_end = today - timedelta(days=rng.randint(32, 45))  # due for archiving today
        else:
            last_end = today + timedelta(days=rng.randint(-20, 540))
        return min(updated, self.now), soumis, vise, completude, archive_le, last_end

    def actions(self):
        rng, n = self.rng, self.n["actions"]
        total = self.org_cum[-1]
        picks = []
        for _ in range(n):
            oid = self.org_by_rank[bisect.bisect_left(self.org_cum, rng.random() * total)]
            picks.append((max(self.org_created[oid], self._past(4300, 1.2)), oid))
        picks.sort()  # ids grow with the creation date, as in a real base
        self.action_info = []  # (id, organisme, created, updated, last_end, archived, draft)
        links = {"cert": [], "formacode": [], "nsf": []}
        used_certs: dict[int, set] = {}
        last_modulaire: dict[int, int] = {}

        def rows():
            for aid, (created, oid) in enumerate(picks, 1):
                state = STATES[bisect.bisect_right(STATE_CUM, rng.random() * STATE_CUM[-1])]
                if state[2] == "archive" and created > self.now - timedelta(days=60):
                    state = STATES[0]  # too young to have been archived by the robot
                updated, soumis, vise, completude, archive_le, last_end = self._action_dates(state, created)
                kind = rng.choices(("action", "module", "accompagnement"), (88, 8, 4))[0]
                modulaire = kind == "action" and rng.random() < 0.03
                parent = last_modulaire.get(oid) if kind == "module" else None
                if modulaire:
                    last_modulaire[oid] = aid
                titre = vocab.titre(rng)
                if kind == "action" and rng.random() < 0.6:
                    taken = used_certs.setdefault(oid, set())
                    for _ in range(3):
                        cert = rng.choice(self.cert_ids)
                        if cert not in taken:
                            taken.add(cert)
                            links["cert"].append((aid, cert))
                            if rng.random() < 0.8:
                                titre = self.cert_titles[cert][:255]
                            break
                for code in rng.sample(self.formacodes, min(len(self.formacodes), rng.randint(1, 3))):
                    links["formacode"].append((aid, code))
                links["nsf"].append((aid, rng.choice(self.nsfs)))
                conventionnee = rng.random() < 0.15 and bool(self.programmes)
                c_first, c_count = self.contact_range[oid]
                imported = rng.random() < 0.08
                draft = state[1] == "brouillon"
                self.action_info.append((aid, oid, created, updated, last_end, state[2] == "archive", draft))
                yield (aid, f"AF_{aid:010d}", oid, parent, kind, modulaire, kind == "module" and rng.random() < 0.5,
                       "Accompagnement VAE" if kind == "accompagnement" else None, conventionnee,
                       rng.choice(self.programmes) if conventionnee else None, titre,
                       vocab.paragraph(rng, vocab.OBJECTIFS, 1, 3),
                       vocab.paragraph(rng, vocab.CONTENUS, 3, 8, "\n"), rng.choice(vocab.RESULTATS),
                       rng.choice(vocab.PUBLICS), rng.choice(self.niveaux), rng.choice(self.niveaux),
                       rng.random() < 0.5, rng.random() < 0.1, rng.randint(1, 12) if rng.random() < 0.6 else None,
                       "1" if rng.random() < 0.2 else "0",
                       c_first + rng.randrange(c_count) if c_count and rng.random() < 0.7 else None,
                       "Flux LHEO organisme" if imported else None, f"EXT-{oid}-{aid}" if imported else None,
                       state[0], state[1], state[2], soumis, vise, completude,
                       "Merci de préciser le contenu et les modalités d'évaluation." if completude else None,
                       archive_le, created, updated, state[4], rng.randint(1, 12))
        cols = ["id", "numero", "organisme_id", "parent_id", "type", "modulaire", "module_autonome",
                "type_accompagnement", "conventionnee", "programme_id", "intitule", "objectif", "contenu",
                "resultats_attendus", "public_vise", "niveau_entree_code", "niveau_sortie_code", "attestation_suivi",
                "validation_partielle", "sessions_par_an", "entrees_sorties", "contact_id", "source",
                "identifiant_externe", "controle", "publication", "etat_fiche", "soumis_le", "vise_le",
                "completude_le", "completude_message", "archive_le", "created_at", "updated_at", "last_actor",
                "version_id"]
        self._copy("action", cols, rows())
        self._copy("action_certification", ["action_id", "certification_id"], links["cert"])
        self._copy("action_formacode", ["action_id", "formacode_code"], links["formacode"])
        self._copy("action_nsf", ["action_id", "nsf_code"], links["nsf"])

    # ------------------------------------------------------------ sessions
    def sessions(self):
        rng, target = self.rng, self.n["sessions"]
        # Every action but half the drafts has at least one session; the rest follow a heavy tail.
        needs = [i for i, info in enumerate(self.action_info) if not (info[6] and rng.random() < 0.5)]
        counts = Counter(needs)
        extra = target - len(needs)
        if extra > 0:
            cum = list(itertools.accumulate(rng.paretovariate(1.6) for _ in needs))
            counts.update(needs[bisect.bisect_left(cum, rng.random() * cum[-1])] for _ in range(extra))
        apprentissage = [d for d, a in self.dispositifs.items() if a]
        autres = [d for d, a in self.dispositifs.items() if not a]
        durees = [7, 14, 21, 35, 70, 105, 140, 210, 300, 350, 400, 455, 600, 800, 1200, 1600]
        old = self.today - timedelta(days=30)
        sid = itertools.count(1)

        def rows():
            for i in sorted(counts):
                aid, oid, created, updated, last_end, archived, _draft = self.action_info[i]
                a_first, a_count = self.addr_range[oid]
                start = min(created.date(), last_end)
                span = max((last_end - start).days, 0)
                k = counts[i]
                for j in range(k):
                    fin = last_end if j == k - 1 else start + timedelta(days=int(span * rng.random()))
                    debut = fin - timedelta(days=int(1 + 299 * rng.random() ** 3))
                    modalite = rng.choices(("presentiel", "mixte", "foad"), (80, 10, 10))[0]
                    r = rng.random()
                    dispositif = (rng.choice(apprentissage) if r < 0.12 and apprentissage
                                  else rng.choice(autres) if r < 0.45 and autres else None)
                    app = dispositif in apprentissage
                    duree = Decimal(rng.choice(durees))
                    s_created = self._between(created, updated)
                    se = next(sid)
                    yield (se, f"SE_{se:010d}", aid, debut, fin,
                           None if modalite == "foad" and rng.random() < 0.5 else a_first + rng.randrange(a_count),
                           duree, duree if not app else Decimal(int(duree) // 3), Decimal(int(duree) * 2 // 3) if app else None,
                           modalite, dispositif, rng.randint(1, 3) if app else None, "1,2" if app else None,
                           rng.choice(("pre_bac", "post_bac")) if app else None,
                           "2 jours en centre, 3 jours en entreprise" if app else None,
                           rng.choice(self.etats_recrutement) if fin >= self.today else self.etats_recrutement[-1],
                           archived or (j < k - 1 and fin < old and rng.random() < 0.6),
                           s_created, self._between(s_created, updated), "Organisme de formation", rng.randint(1, 4))
        cols = ["id", "numero", "action_id", "date_debut", "date_fin", "lieu_id", "duree_totale", "heures_centre",
                "heures_entreprise", "modalite_code", "dispositif_id", "duree_cycle", "annees_apprentissage",
                "niveau_bac", "rythme", "etat_recrutement_code", "archivee", "created_at", "updated_at",
                "last_actor", "version_id"]
        self._copy("session", cols, rows())

    # ------------------------------------------------------------ users
    def users(self, password_hash: str):
        rng, n = self.rng, self.n["organismes"]
        taken: Counter = Counter()
        uid = itertools.count(1)
        links = []
        grand, petit = self.org_by_rank[0], self.org_by_rank[min(n - 1, n // 20)]
        self.bench_organismes = {"grand": grand, "petit": petit}
        bench_financeur = self._programme_financeur()  # before the COPY: no other query while it runs

        def user(identifiant, role, orgs=(), financeur=None, actif=True):
            u = next(uid)
            nom, prenom = rng.choice(vocab.NOMS), rng.choice(vocab.PRENOMS)
            if identifiant is None:
                base = login_base(prenom, nom)
                taken[base] += 1
                identifiant = f"{base}{taken[base]}"
            links.extend((u, o) for o in orgs)
            created = self._past(3000, 1.2)
            return (u, identifiant, f"{identifiant}@example.fr", nom, prenom, role, financeur, actif, password_hash,
                    created, created, self._between(created, self.now, 2), "Administrateur")

        def rows():
            yield user(BENCH_USERS["documentaliste"], "documentaliste")
            yield user(BENCH_USERS["organisme_grand"], "organisme", [grand])
            yield user(BENCH_USERS["organisme_petit"], "organisme", [petit])
            yield user(BENCH_USERS["financeur"], "financeur", financeur=bench_financeur)
            yield user(BENCH_USERS["admin"], "admin")
            yield user(BENCH_USERS["support"], "support")
            for _ in range(30):
                yield user(None, "documentaliste")
            for _ in range(40):
                yield user(None, "financeur", financeur=rng.choice(self.financeurs))
            for _ in range(5):
                yield user(None, "support")
            for oid in range(1, n + 1):
                for _ in range((rng.random() < 0.8) + (rng.random() < 0.2)):
                    others = rng.sample(range(1, n + 1), rng.randint(1, 4)) if rng.random() < 0.01 else []
                    yield user(None, "organisme", sorted({oid, *others}), actif=rng.random() < 0.95)
        self._copy("users", ["id", "identifiant", "email", "nom", "prenom", "role_code", "financeur_code", "actif",
                             "password_hash", "password_changed_at", "created_at", "updated_at", "last_actor"], rows())
        self._copy("user_organisme", ["user_id", "organisme_id"], links)

    def _programme_financeur(self):
        row = self.conn.execute("SELECT financeur_code FROM programme ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else None
