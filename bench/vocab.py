"""Words for the generated base: plausible French organisme names, training titles and texts.

Only vocabulary and tiny helpers; bench/generate.py decides distributions.
"""
import random

NOMS = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "Andre", "Lefevre", "Mercier", "Dupont", "Lambert", "Bonnet", "Francois", "Martinez",
        "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
        "Perrin", "Morin", "Mathieu", "Clement", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
        "Diallo", "Nguyen", "Benali", "Haddad", "Traore", "Kone", "Cohen", "Meyer", "Schmitt", "Colin"]
PRENOMS = ["Marie", "Jean", "Pierre", "Michel", "Nathalie", "Isabelle", "Sophie", "Philippe", "Catherine",
           "Nicolas", "Julien", "Camille", "Léa", "Thomas", "Sarah", "Karim", "Fatou", "Amina", "Hugo", "Chloé",
           "Emma", "Lucas", "Inès", "Yasmine", "Mehdi", "Claire", "Antoine", "Élodie", "Sébastien", "Aurélie"]
FONCTIONS = ["Responsable pédagogique", "Chargée de relations entreprises", "Directeur", "Assistante de formation",
             "Conseiller en formation", "Coordinatrice des parcours", "Responsable administratif",
             "Chargé d'accueil", "Référent handicap", "Responsable qualité"]

ORG_FORMES = ["SARL", "SAS", "Association", "EURL", "SA", "GIP", "SCOP", "Établissement public"]
ORG_MOTS = ["Formation", "Compétences", "Avenir", "Horizon", "Progrès", "Métiers", "Savoirs", "Pro", "Campus",
            "Académie", "Institut", "Centre", "École", "Atelier", "Parcours", "Emploi", "Talents", "Réussite",
            "Qualification", "Insertion", "Langues", "Numérique", "Santé", "Bâtiment", "Logistique", "Conseil"]
ORG_LIEUX = ["Paris", "Île-de-France", "Seine", "Marne", "Essonne", "Val d'Oise", "Yvelines", "Montreuil",
             "Saint-Denis", "Créteil", "Nanterre", "Versailles", "Cergy", "Évry", "Meaux", "Melun", "Boulogne",
             "Vincennes", "Argenteuil", "Massy", "Pantin", "Ivry"]

# (domain, formacode-ish keyword) -> used in titles and texts
DOMAINES = ["comptabilité", "gestion de la paie", "anglais professionnel", "français langue étrangère",
            "développement web", "cybersécurité", "bureautique", "soudure", "électricité du bâtiment",
            "plomberie", "maçonnerie", "peinture en bâtiment", "conduite de chariots élévateurs",
            "logistique d'entrepôt", "transport routier de marchandises", "cuisine", "pâtisserie",
            "service en restauration", "hôtellerie", "aide à la personne", "petite enfance",
            "secrétariat médical", "soins infirmiers", "management d'équipe", "gestion de projet",
            "vente en magasin", "relation client", "commerce international", "marketing digital",
            "sécurité incendie", "prévention des risques", "coiffure", "esthétique", "fibre optique",
            "maintenance industrielle", "usinage", "data analyse", "infographie", "langue des signes",
            "remise à niveau en mathématiques", "création d'entreprise", "immobilier", "assistanat de direction"]
TITRE_DEBUTS = ["Formation", "Initiation à la", "Perfectionnement en", "Préparation au titre professionnel",
                "Parcours certifiant", "Remise à niveau", "Atelier", "Module", "Découverte des métiers de la",
                "Formation qualifiante", "Certificat de compétences en", "Stage intensif"]
TITRE_FINS = ["", "", "", " - niveau 1", " - niveau 2", " en alternance", " à distance", " - parcours court",
              " (session intensive)", " pour demandeurs d'emploi", " pour salariés"]
CERT_TYPES = ["Titre professionnel", "CAP", "BTS", "Bac professionnel", "Licence professionnelle",
              "Certificat de qualification professionnelle", "Certificat de compétences", "Habilitation",
              "Diplôme d'État", "Mastère spécialisé", "Brevet professionnel", "Mention complémentaire"]

OBJECTIFS = [
    "Acquérir les compétences nécessaires à l'exercice du métier.",
    "Être capable de réaliser les opérations courantes en autonomie.",
    "Maîtriser les outils et les méthodes de la profession.",
    "Préparer et obtenir la certification visée.",
    "Développer son employabilité et sécuriser son parcours professionnel.",
    "Actualiser ses connaissances réglementaires et techniques.",
    "Savoir communiquer avec les clients, les collègues et la hiérarchie.",
    "Respecter les règles d'hygiène, de sécurité et de qualité.",
]
CONTENUS = [
    "- Présentation du secteur et des métiers",
    "- Cadre réglementaire et normes en vigueur",
    "- Techniques professionnelles : apports théoriques et mises en situation",
    "- Utilisation des outils numériques du métier",
    "- Communication professionnelle et travail en équipe",
    "- Santé et sécurité au travail",
    "- Période d'application en entreprise",
    "- Préparation aux épreuves de certification",
    "- Bilan individuel et accompagnement vers l'emploi",
    "- Études de cas et projets tutorés",
]
RESULTATS = ["Certification complète", "Attestation de fin de formation", "Certification partielle (blocs de compétences)",
             "Attestation de compétences", "Habilitation délivrée à l'issue des épreuves"]
PUBLICS = ["Tout public", "Demandeurs d'emploi", "Salariés", "Jeunes de 16 à 29 ans", "Personnes en reconversion",
           "Personnes en situation de handicap", "Demandeurs d'emploi inscrits à France Travail"]
VOIES = ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue Victor Hugo", "rue de Paris",
         "avenue du Général Leclerc", "rue Pasteur", "allée des Tilleuls", "place de la Mairie", "rue Gambetta",
         "quai de la Seine", "rue du Faubourg Saint-Antoine", "rue de la Gare", "avenue de la Liberté"]
VILLES_IDF = {"75": ["Paris"], "77": ["Meaux", "Melun", "Chelles", "Torcy"], "78": ["Versailles", "Poissy", "Mantes-la-Jolie"],
              "91": ["Évry-Courcouronnes", "Massy", "Corbeil-Essonnes"], "92": ["Nanterre", "Boulogne-Billancourt", "Colombes"],
              "93": ["Saint-Denis", "Montreuil", "Aubervilliers", "Pantin"], "94": ["Créteil", "Vitry-sur-Seine", "Ivry-sur-Seine"],
              "95": ["Cergy", "Argenteuil", "Sarcelles"]}
IDF = list(VILLES_IDF)


def siret(rng: random.Random) -> str:
    """14 digits, Luhn-valid (what rules.validate_siret checks)."""
    digits = [rng.randrange(10) for _ in range(13)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will sit at position 0 from the right
        d2 = d * 2 if i % 2 == 0 else d
        total += d2 - 9 if d2 > 9 else d2
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def organisme_name(rng: random.Random) -> str:
    return f"{rng.choice(ORG_MOTS)} {rng.choice(ORG_MOTS)} {rng.choice(ORG_LIEUX)}"


def titre(rng: random.Random) -> str:
    return f"{rng.choice(TITRE_DEBUTS)} {rng.choice(DOMAINES)}{rng.choice(TITRE_FINS)}"[:255]


def paragraph(rng: random.Random, pool: list[str], low: int, high: int, sep: str = " ") -> str:
    return sep.join(rng.sample(pool, rng.randint(low, min(high, len(pool)))))


def postal(rng: random.Random, dept: str) -> str:
    if dept == "75":
        return f"750{rng.randint(1, 20):02d}"
    return f"{dept}{rng.randint(0, 9)}{rng.randint(0, 9)}0"
