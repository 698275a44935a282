"""Row generators for bench/generate.py: organismes, books, certifications, users (actions and
sessions: bench/offer_rows.py).

Each method streams rows into a COPY on the loading connection and keeps only the little the next
tables need (id ranges, the content of the addresses and contacts that published versions
embed). Distributions are documented in generate.py, the LHEO content's shares in bench/content.py.
"""
import bisect
import itertools
import random
import time
from collections import Counter
from datetime import date, datetime, timedelta

import psycopg

from backoffice.models import Adresse, Contact, EtatOrganisme, Organisme
from backoffice.models.search_keys import organisme_key
from backoffice.rules import login_base
from backoffice.services import organisme_publication, publication
from bench import content, vocab
from bench.published import Embedded, columns, full_row

BENCH_PASSWORD = "motdepasse-bench-1"
DEFAULTS = {"organismes": 50_000, "actions": 400_000, "sessions": 1_200_000, "contacts": 150_000}
EXTRA_CERTIFICATIONS = 8_000  # the national referential does not scale with the region
BENCH_USERS = {"documentaliste": "benchdoc", "organisme_grand": "benchofgrand", "organisme_petit": "benchofpetit",
               "financeur": "benchfin", "admin": "benchadmin", "support": "benchsupport"}
BIG_TABLES = ["organisme", "adresse", "contact", "certification", "bloc_competences", "action",
              "action_certification", "action_formacode", "action_nsf", "action_rome", "action_public_vise",
              "action_langue", "action_modalite_pedagogique", "action_bloc_competences", "session",
              "session_financeur", "users", "user_organisme", "history"]
def ts(d: datetime) -> datetime:
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
        self.addresses, self.contacts = Embedded(Adresse), Embedded(Contact)
        self._load_referentials()

    # ------------------------------------------------------------ helpers
    def _load_referentials(self):
        q = lambda sql: [r[0] for r in self.conn.execute(sql)]  # noqa: E731
        self.niveaux = q("SELECT code FROM niveau ORDER BY code")
        self.formacodes = q("SELECT code FROM formacode ORDER BY code")
        self.nsfs = q("SELECT code FROM nsf ORDER BY code")
        self.programmes = q("SELECT id FROM programme ORDER BY id")
        self.dispositifs = dict(self.conn.execute("SELECT id, apprentissage FROM dispositif").fetchall())
        self.etats_recrutement = q("SELECT code FROM etat_recrutement ORDER BY code")
        self.financeurs = q("SELECT code FROM financeur ORDER BY code")
        self.programme_financeur = dict(self.conn.execute("SELECT id, financeur_code FROM programme").fetchall())
        self.cert_start = self.conn.execute("SELECT coalesce(max(id), 0) FROM certification").fetchone()[0]
        self.known_financeurs = set(self.financeurs)
        self.communes = content.Communes(self.conn)
        self.codes = content.Codes(q("SELECT code FROM public_vise ORDER BY code"),
                                   q("SELECT code FROM langue ORDER BY code"),
                                   q("SELECT code FROM modalite_pedagogique ORDER BY code"),
                                   q("SELECT code FROM rome ORDER BY code"))

    def _copy(self, table: str, columns: list[str], rows, conn=None) -> int:
        started = time.perf_counter()
        count = 0
        with (conn or self.conn).cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        self.timings[table] = self.timings.get(table, 0) + time.perf_counter() - started
        return count

    def _copy_rows(self, table: str, model, rows, keep: Embedded | None = None, conn=None) -> int:
        """COPY rows given as dicts of every column of `model` (no database default applies, so
        bench.published can build the published content from the same dicts)."""
        names = columns(model)
        keys = set(names)

        def values():
            for row in rows:
                if row.keys() != keys:
                    raise RuntimeError(f"{table} row columns differ from the model's: {set(row) ^ keys}")
                if keep is not None:
                    keep.keep(row)
                yield [row[name] for name in names]
        return self._copy(table, names, values(), conn)

    def _past(self, max_days: int, skew: float = 1.0) -> datetime:
        """A moment in the last max_days days, skewed towards today when skew > 1."""
        return ts(self.now - timedelta(seconds=max_days * 86400 * self.rng.random() ** skew))

    def _between(self, start: datetime, end: datetime, skew: float = 1.0) -> datetime:
        span = max((end - start).total_seconds(), 0)
        return ts(end - timedelta(seconds=span * self.rng.random() ** skew))

    # ------------------------------------------------------------ organismes and their books
    def organismes(self):
        rng, n = self.rng, self.n["organismes"]
        # org id -> (first adresse id, count, first training place id, count of places)
        self.addr_range: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * (n + 1)
        self.contact_range: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        # Zipf weights over a random permutation: the largest organisme is not id 1.
        ranked = list(range(1, n + 1))
        rng.shuffle(ranked)
        self.org_by_rank = ranked
        self.org_cum = list(itertools.accumulate(1.0 / r for r in range(1, n + 1)))
        self.org_created = [None] * (n + 1)
        self.org_idf = [True] * (n + 1)
        self.org_site = [False] * (n + 1)
        self.org_address: list[content.Address | None] = [None] * (n + 1)  # also its first adresse
        self.rank_of = {oid: r for r, oid in enumerate(ranked, 1)}
        self.org_valide = [False] + [True] * n
        self.org_rows: list[dict] = []  # written by write_organismes(), once their contacts exist
        self.org_search_key: dict[int, str] = {}  # organisme id -> its search key (offer_rows.py)
        self.org_sort_key: dict[int, str] = {}  # organisme id -> its name on its actions (models/sort_keys.py)
        for oid in range(1, n + 1):
            idf = rng.random() < 0.9
            commune = self.communes.in_idf(rng) if idf else self.communes.elsewhere(rng)
            adr = self.communes.address(rng, commune, 0.3)
            self.org_idf[oid], self.org_address[oid] = idf, adr
            created = self._past(4400, 1.3)
            self.org_created[oid] = created
            name = vocab.organisme_name(rng)
            # a pré-inscription waiting or refused: a small organisme, without any action yet
            small = self.rank_of[oid] > n // 10
            etat = (EtatOrganisme.VALIDE if not small or rng.random() < 0.945
                    else rng.choice([EtatOrganisme.BROUILLON, EtatOrganisme.BROUILLON, EtatOrganisme.REFUSE]))
            self.org_valide[oid] = etat == EtatOrganisme.VALIDE
            self.org_site[oid] = rng.random() < 0.6
            self.org_rows.append(full_row(Organisme, {
                "id": oid, "numero": f"OF_{oid:010d}", "siret": vocab.siret(rng), "nda": f"11{rng.randrange(10**9):09d}",
                "uai": vocab.uai(rng, adr.departement_code) if rng.random() < 0.05 else None,
                "raison_sociale": f"{rng.choice(vocab.ORG_FORMES)} {name}",
                "nom_usuel": name if rng.random() < 0.7 else None, "est_organisme_formation": rng.random() < 0.97,
                "est_financeur": rng.random() < 0.03, "est_mediateur": rng.random() < 0.02,
                "numero_voie": f"{rng.randint(1, 99)}", "voie": rng.choice(vocab.VOIES),
                "code_postal": adr.code_postal, "ville": adr.ville, "region_code": adr.region_code,
                "code_insee": adr.code_insee, "latitude": adr.latitude, "longitude": adr.longitude,
                "telephone": f"01{rng.randrange(10**8):08d}", "courriel": f"contact@of{oid}.fr",
                "site_internet": f"https://www.of{oid}.fr" if self.org_site[oid] else None, "etat": etat,
                "formation_foad_uniquement": not idf and rng.random() < 0.3, "created_at": created,
                "updated_at": self._between(created, self.now, 2.0),
                "last_actor": rng.choice(["Organisme de formation", "Documentaliste"]),
                "version_id": rng.randint(1, 6)}))
            # the search key the models keep (models/search_keys.py); the actions' keys hold it too
            self.org_rows[-1]["search_key"] = self.org_search_key[oid] = organisme_key(self.org_rows[-1])
            self.org_sort_key[oid] = self.org_rows[-1]["nom_usuel"] or self.org_rows[-1]["raison_sociale"]

    def write_organismes(self):
        """COPY the organismes, a validated one with its published fiche (services/
        organisme_publication.py: what partners see, its contact principal embedded); 1 % of those
        have an edit waiting for validation (a new telephone number, partners still see the old)."""
        rng = self.rng

        def rows():
            for row in self.org_rows:
                if row["etat"] == "valide":
                    oid = row["id"]
                    first_contact, count = self.contact_range[oid]
                    content = {key: publication.plain(row[key]) for key in organisme_publication.FIELDS}
                    content["contact_principal"] = self.contacts.get(first_contact) if count else None
                    if rng.random() < 0.01:
                        content["telephone"] = f"01{rng.randrange(10**8):08d}"
                        row["modifications_a_valider"] = True
                    row["version_publiee"] = publication.dumps(content)
                    row["publie_le"] = self._between(row["created_at"], row["updated_at"])
                yield row
        self._copy_rows("organisme", Organisme, rows())
        self.org_rows = None

    def adresses_and_contacts(self):
        rng, n = self.rng, self.n["organismes"]
        # addresses: big organismes have more training places; the first one is the organisme's
        # own address; an organisme outside the region has at least one place in it (perimeter)
        rank_of = self.rank_of
        next_id = itertools.count(1)

        def addr_rows():
            for oid in range(1, n + 1):
                r = rank_of[oid]
                count = 1 + int(rng.random() < 0.5) + (min(40, int(200 / r)) if r < 200 else 0)
                count = max(count, 1 if self.org_idf[oid] else 2)
                first = None
                for k in range(count):
                    aid = next(next_id)
                    first = first or aid
                    adr = self.org_address[oid] if k == 0 else self.communes.address(
                        rng, self.communes.in_idf(rng), 0.4)
                    created = self._between(self.org_created[oid], self.now, 1.5)
                    yield {"id": aid, "organisme_id": oid, "libelle": "Site principal" if k == 0 else f"Site {k + 1}",
                           "pays": "FRANCE", "complement_service": None,
                           "complement_batiment": rng.choice(vocab.COMPLEMENTS) if rng.random() < 0.15 else None,
                           "numero_voie": str(rng.randint(1, 120)), "voie": rng.choice(vocab.VOIES), "lieu_dit": None,
                           "code_postal": adr.code_postal, "ville": adr.ville,
                           "departement_code": adr.departement_code, "region_code": adr.region_code,
                           "code_insee": adr.code_insee, "latitude": adr.latitude, "longitude": adr.longitude,
                           "version_id": 1, "created_at": created, "updated_at": self._between(created, self.now, 2),
                           "last_actor": "Organisme de formation"}
                places = 0 if self.org_idf[oid] else 1
                self.addr_range[oid] = (first, count, first + places, count - places)
        self._copy_rows("adresse", Adresse, addr_rows(), self.addresses)
        self.org_address = None  # not needed any more
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
                    yield {"id": c, "organisme_id": oid, "nom": nom, "prenom": prenom,
                           "fonction": rng.choice(vocab.FONCTIONS), "autre_fonction": None,
                           "telephone": f"01{rng.randrange(10**8):08d}",
                           "mobile": f"06{rng.randrange(10**8):08d}" if rng.random() < 0.5 else None,
                           "telecopie": None, "courriel": f"{prenom[0].lower()}.{nom.lower()}@of{oid}.fr",
                           "diffusable": rng.random() < 0.85, "principal": k == 0, "version_id": 1,
                           "created_at": created, "updated_at": self._between(created, self.now, 2),
                           "last_actor": "Organisme de formation"}
                self.contact_range[oid] = (first or 0, count)
        self._copy_rows("contact", Contact, contact_rows(), self.contacts)

    def certifications(self):
        """8,000 more certifications (60 % CPF-eligible, with their code CPF) and the blocs de
        compétences of 85 % of the RNCP ones (2 to 6 each), seeded ones included."""
        rng = self.rng
        levels = [c for c in self.niveaux if c.isdigit() and int(c) >= 11] or self.niveaux

        def rows():
            for k in range(EXTRA_CERTIFICATIONS):
                cid = self.cert_start + 1 + k
                rncp = k % 3 != 0
                first = rng.randint(2010, 2026)
                cpf = rng.random() < 0.6
                yield (cid, 90_000 + k, f"RNCP{40000 + k}" if rncp else None, None if rncp else f"RS{7000 + k}",
                       f"{rng.choice(vocab.CERT_TYPES)} {rng.choice(vocab.DOMAINES)}"[:300], rng.choice(levels),
                       cpf, str(300_000 + k) if cpf else None, first,
                       first + rng.randint(0, 8) if rng.random() < 0.4 else None,
                       "active" if rng.random() < 0.85 else "inactive")
        self._copy("certification", ["id", "certifinfo", "code_rncp", "code_rs", "intitule", "niveau_code",
                                     "eligible_cpf", "code_cpf", "premiere_session", "derniere_session", "etat"],
                   rows())
        # the seeded referential's eligible certifications get a code CPF too (nobody types it)
        self.conn.execute("UPDATE certification SET code_cpf = (200000 + id)::text "
                          "WHERE eligible_cpf AND code_cpf IS NULL")
        self.cert_ids = list(range(1, self.cert_start + EXTRA_CERTIFICATIONS + 1))
        self.cert_titles = dict(self.conn.execute("SELECT id, intitule FROM certification").fetchall())
        self.cert_blocs: dict[int, list[int]] = {}
        for cert, bloc in self.conn.execute("SELECT certification_id, id FROM bloc_competences ORDER BY code"):
            self.cert_blocs.setdefault(cert, []).append(bloc)
        rncp = self.conn.execute("SELECT id, code_rncp, intitule FROM certification WHERE code_rncp IS NOT NULL "
                                 "ORDER BY id").fetchall()
        next_bloc = itertools.count(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM bloc_competences")
                                    .fetchone()[0])

        def bloc_rows():
            for cert, code, intitule in rncp:
                if cert in self.cert_blocs or rng.random() >= 0.85:
                    continue
                domaine = next((d for d in vocab.DOMAINES if intitule.endswith(d)), intitule)
                for k, verbe in enumerate(rng.sample(vocab.BLOCS, rng.randint(2, 6)), 1):
                    bid = next(next_bloc)
                    self.cert_blocs.setdefault(cert, []).append(bid)
                    yield bid, cert, f"{code}BC{k:02d}", f"{verbe} : {domaine}"[:500]
        self._copy("bloc_competences", ["id", "certification_id", "code", "libelle"], bloc_rows())

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
