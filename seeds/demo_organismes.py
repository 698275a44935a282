"""Demo organismes with their carnet d'adresses and carnet de contacts.

Names, streets and people are fictitious; telephone numbers are in the ranges
ARCEP reserves for fiction (01 99 00 xx xx, 06 39 98 xx xx) and e-mail domains
end in example.org, so nobody is ever called or mailed by a demo.
"""
import unicodedata

from sqlalchemy.orm import Session
from stdnum import luhn

from backoffice.models import Adresse, Contact, EtatOrganisme, Organisme
from backoffice.rules import uai_letter
from backoffice.services import communes, organisme_publication


def make_siret(siren8: str, nic4: str) -> str:
    """A checksum-valid SIRET: Luhn key on the SIREN, then on the 14 digits."""
    siren = siren8 + luhn.calc_check_digit(siren8)
    body = siren + nic4
    return body + luhn.calc_check_digit(body)


def make_uai(digits7: str) -> str:
    return digits7 + uai_letter(digits7)


# One dict per organisme; "adresses" are (libellé, numéro, voie, code postal, ville) and the
# first one is the main place of training; "contacts" are (prénom, nom, fonction, diffusable),
# the first one being the contact principal.
ORGANISMES = [
    {
        "key": "avenir", "raison_sociale": "AVENIR COMPETENCES FORMATION", "nom_usuel": "Avenir Compétences",
        "siret": make_siret("81234567", "0002"), "nda": "11755123475", "etat": EtatOrganisme.VALIDE,
        "numero_voie": "45", "voie": "boulevard Voltaire", "code_postal": "75011", "ville": "Paris",
        "telephone": "01 99 00 11 01", "courriel": "contact@avenir-competences.example.org",
        "site_internet": "https://www.avenir-competences.example.org",
        "adresses": [("Siège - Paris 11e", "45", "boulevard Voltaire", "75011", "Paris"),
                     ("Antenne de Nanterre", "12", "avenue Joliot-Curie", "92000", "Nanterre"),
                     ("Antenne d'Évry-Courcouronnes", "3", "cours Blaise-Pascal", "91000", "Évry-Courcouronnes")],
        "contacts": [("Nathalie", "Girard", "Responsable pédagogique", True),
                     ("Paul", "Lefebvre", "Directeur", False),
                     ("Inès", "Benali", "Chargée de relations entreprises", True)],
    },
    {
        "key": "ifma", "raison_sociale": "INSTITUT FRANCILIEN DES METIERS DE L'AUTOMOBILE",
        "nom_usuel": "IFMA Coulommiers", "siret": make_siret("50123456", "0011"), "nda": "11770987677",
        "uai": make_uai("0771234"), "etat": EtatOrganisme.VALIDE,
        "numero_voie": "8", "voie": "rue de la Sucrerie", "code_postal": "77120", "ville": "Coulommiers",
        "telephone": "01 99 00 12 02", "courriel": "cfa@ifma-coulommiers.example.org",
        "site_internet": "https://www.ifma-coulommiers.example.org",
        "adresses": [("Site de Coulommiers", "8", "rue de la Sucrerie", "77120", "Coulommiers"),
                     ("Atelier carrosserie - Meaux", "27", "avenue de la Victoire", "77100", "Meaux")],
        "contacts": [("Marc", "Lambert", "Directeur du CFA", True),
                     ("Sandrine", "Roux", "Secrétariat pédagogique", False)],
    },
    {
        "key": "bouche", "raison_sociale": "CFA DES METIERS DE BOUCHE DE MARNE-LA-VALLEE",
        "nom_usuel": "CFA Métiers de bouche Marne-la-Vallée", "siret": make_siret("43987654", "0018"),
        "nda": "11770456777", "uai": make_uai("0772468"), "etat": EtatOrganisme.VALIDE,
        "numero_voie": "5", "voie": "boulevard Copernic", "code_postal": "77420", "ville": "Champs-sur-Marne",
        "telephone": "01 99 00 13 03", "courriel": "accueil@cfa-bouche-mlv.example.org",
        "adresses": [("CFA - Champs-sur-Marne", "5", "boulevard Copernic", "77420", "Champs-sur-Marne"),
                     ("Restaurant d'application - Noisy-le-Grand", "2", "allée du Belvédère", "93160",
                      "Noisy-le-Grand")],
        "contacts": [("Hélène", "Faure", "Responsable du recrutement", True),
                     ("Thomas", "Mercier", "Chef de cuisine formateur", False)],
    },
    {
        "key": "numerique", "raison_sociale": "NUMERIQUE ET INCLUSION 93", "nom_usuel": "Numérique et Inclusion 93",
        "siret": make_siret("79876543", "0027"), "nda": "11930765493", "etat": EtatOrganisme.VALIDE,
        "numero_voie": "14", "voie": "rue du Landy", "code_postal": "93200", "ville": "Saint-Denis",
        "adresse_postale_differente": True, "postale_lieu_dit": "BP 40123",
        "postale_code_postal": "93201", "postale_ville": "Saint-Denis Cedex",
        "telephone": "01 99 00 14 04", "autre_telephone": "01 99 00 14 05",
        "courriel": "formation@numerique-inclusion93.example.org",
        "site_internet": "https://www.numerique-inclusion93.example.org",
        "adresses": [("Campus Saint-Denis", "14", "rue du Landy", "93200", "Saint-Denis"),
                     ("Antenne d'Argenteuil", "30", "boulevard Héloïse", "95100", "Argenteuil")],
        "contacts": [("Yasmine", "Cherif", "Coordinatrice pédagogique", True),
                     ("Julien", "Morel", "Responsable administratif et financier", False),
                     ("Lucas", "Fontaine", "Conseiller en insertion professionnelle", True)],
    },
    {
        # Outside Ile-de-France, pré-inscrit without the justification the perimeter rule
        # requires: a documentaliste cannot validate it as it is.
        "key": "oceane", "raison_sociale": "OCEANE FORMATION CONSEIL", "nom_usuel": "Océane Formation",
        "siret": make_siret("52468013", "0035"), "nda": "52440987644", "etat": EtatOrganisme.BROUILLON,
        "numero_voie": "6", "voie": "quai de la Fosse", "code_postal": "44000", "ville": "Nantes",
        "telephone": "01 99 00 15 06", "courriel": "contact@oceane-formation.example.org",
        "adresses": [("Siège - Nantes", "6", "quai de la Fosse", "44000", "Nantes")],
        "contacts": [("Gaëlle", "Le Goff", "Gérante", True),
                     ("Erwan", "Le Bihan", "Assistant de formation", False)],
    },
    {
        # Pré-inscrit in Ile-de-France: waits for a documentaliste's validation.
        "key": "langues", "raison_sociale": "ATELIER LANGUES ET INSERTION", "nom_usuel": "Atelier Langues",
        "siret": make_siret("88123450", "0014"), "nda": "11940321094", "etat": EtatOrganisme.BROUILLON,
        "numero_voie": "1", "voie": "place Salvador-Allende", "code_postal": "94000", "ville": "Créteil",
        "telephone": "01 99 00 16 07", "courriel": "bonjour@atelier-langues.example.org",
        "adresses": [("Siège - Créteil", "1", "place Salvador-Allende", "94000", "Créteil")],
        "contacts": [("Nadia", "Robert", "Directrice", True)],
    },
]

# The SIRET by which load_demo recognises a database that already has the demo.
MARKER_SIRET = ORGANISMES[0]["siret"]


def email_address(prenom: str, nom: str, domain: str) -> str:
    """prenom.nom@domain in ASCII."""
    # Addresses are ASCII: accents stripped (Hélène -> helene), spaces dropped.
    text = unicodedata.normalize("NFKD", f"{prenom}.{nom}".lower().replace(" ", ""))
    local = "".join(ch for ch in text if not unicodedata.combining(ch))
    return f"{local}@{domain}"


def _resolved(match, ville: str) -> None:
    """The demo's addresses name communes of the seeded extract (seeds/data/communes.csv)."""
    if not match.found:
        raise ValueError(f"Adresse de démonstration sans commune ({ville}) : {match.message}")


def build_organismes(session: Session) -> dict[str, Organisme]:
    """Add the demo organismes, adresses and contacts; return them by key."""
    built = {}
    for n, spec in enumerate(ORGANISMES):
        spec = dict(spec)
        key, adresses, contacts = spec.pop("key"), spec.pop("adresses"), spec.pop("contacts")
        organisme = Organisme(**spec)
        _resolved(communes.apply_to_organisme(session, organisme), spec["ville"])
        for libelle, numero, voie, code_postal, ville in adresses:
            adresse = Adresse(libelle=libelle, numero_voie=numero, voie=voie, code_postal=code_postal, ville=ville)
            _resolved(communes.apply_to_adresse(session, adresse), ville)
            organisme.adresses.append(adresse)
        for rank, (prenom, nom, fonction, diffusable) in enumerate(contacts):
            organisme.contacts.append(Contact(
                prenom=prenom, nom=nom, fonction=fonction, diffusable=diffusable, principal=rank == 0,
                telephone=f"01 99 00 {20 + n:02d} {10 + rank:02d}", mobile=f"06 39 98 {20 + n:02d} {10 + rank:02d}",
                courriel=email_address(prenom, nom, spec["courriel"].split("@", 1)[1])))
        session.add(organisme)
        built[key] = organisme
    session.flush()
    for organisme in built.values():
        if organisme.etat == EtatOrganisme.VALIDE:  # validated by the CARIF: what partners see of it
            organisme_publication.publish(organisme)
    session.flush()
    return built


def principal_contact(organisme: Organisme) -> Contact:
    return next(c for c in organisme.contacts if c.principal)


def lieu(organisme: Organisme, index: int) -> Adresse:
    """The index-th address of the organisme's carnet, in ORGANISMES order."""
    spec = next(s for s in ORGANISMES if s["raison_sociale"] == organisme.raison_sociale)
    libelle = spec["adresses"][index][0]
    return next(a for a in organisme.adresses if a.libelle == libelle)
