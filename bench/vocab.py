"""Words for the generated base: plausible French organisme names, training titles and texts.

Only vocabulary and tiny helpers; bench/generate.py decides distributions.
"""
import random

from stdnum import luhn

from backoffice.rules import uai_letter

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
    """14 digits whose SIREN (the first 9) and whole number pass the Luhn key (rules.validate_siret)."""
    siren = "".join(str(rng.randrange(10)) for _ in range(8))
    siren += luhn.calc_check_digit(siren)
    body = siren + "".join(str(rng.randrange(10)) for _ in range(4))
    return body + luhn.calc_check_digit(body)


def uai(rng: random.Random, departement: str) -> str:
    """7 digits (the département first, 620 for Corsica) and the control letter (rules.validate_uai)."""
    digits = f"{departement.zfill(3) if departement.isdigit() else '620'}{rng.randrange(10000):04d}"
    return digits + uai_letter(digits)


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

# ------------------------------------------------------------ LHEO content (bench/content.py)
ACCES_HANDICAPES = [
    "Locaux accessibles aux personnes à mobilité réduite. Référent handicap joignable avant l'entrée en formation.",
    "Accueil des personnes en situation de handicap : aménagements étudiés au cas par cas avec notre référent.",
    "Site de plain-pied, ascenseur et sanitaires adaptés ; supports de cours disponibles en gros caractères.",
    "Formation accessible ; nous contacter pour étudier les adaptations nécessaires (rythme, matériel, examens).",
    "Locaux non accessibles en fauteuil : une solution de formation à distance peut être proposée.",
]
MODALITES_RECRUTEMENT = [
    "Information collective, tests de positionnement puis entretien individuel de motivation.",
    "Dossier de candidature, entretien avec le responsable pédagogique.",
    "Entretien individuel et évaluation des prérequis en français et en mathématiques.",
    "Inscription sur prescription d'un conseiller (France Travail, Mission locale, Cap emploi).",
    "Sélection sur dossier ; un contrat avec une entreprise d'accueil est nécessaire avant l'entrée.",
    "Test écrit d'une heure, puis entretien ; résultats communiqués sous huit jours.",
]
MODALITES_PEDAGOGIQUES = [
    "Apports théoriques, études de cas et mises en situation professionnelle.",
    "Alternance de cours en présentiel et de travaux sur plateforme en ligne, avec un tuteur.",
    "Pédagogie active en petits groupes, plateau technique équipé.",
    "Formation individualisée : parcours adapté après positionnement.",
    "Cours du jour, exercices pratiques et évaluations en cours de formation.",
]
RYTHMES = ["Temps plein, 35 heures par semaine", "Temps partiel, 2 jours par semaine", "Cours du soir, 18 h - 21 h",
           "Du lundi au vendredi, 9 h 00 - 17 h 00", "Samedis matin", "À votre rythme, plateforme ouverte 24 h/24",
           "Temps plein en centre puis stage de 4 semaines en entreprise"]
MODALITES_ALTERNANCE = [
    "2 jours en centre de formation, 3 jours en entreprise.",
    "Une semaine en centre, trois semaines en entreprise.",
    "Alternance de périodes de deux semaines en centre et de quatre semaines en entreprise.",
    "1 jour par semaine en centre ; le reste du temps en entreprise, avec un maître d'apprentissage.",
]
FRAIS_RESTANTS = ["Aucun frais restant à la charge du stagiaire.", "Frais d'inscription : 50 €.",
                  "Frais de certification : 120 € à la charge du candidat.",
                  "Tenue professionnelle et équipements de sécurité à prévoir (environ 150 €).",
                  "Manuels et supports inclus ; repas à la charge du stagiaire."]
DETAIL_PRISE_EN_CHARGE = [
    "Formation financée par la Région Île-de-France pour les demandeurs d'emploi inscrits à France Travail.",
    "Éligible au CPF ; prise en charge possible par l'OPCO de l'entreprise pour les salariés.",
    "Rémunération possible pendant la formation selon la situation du stagiaire.",
    "Coût pris en charge par l'entreprise d'accueil (contrat d'apprentissage) ; aucun frais pour l'apprenti.",
    "Financement possible par Transitions Pro dans le cadre d'un projet de transition professionnelle.",
    "Aide individuelle à la formation (AIF) possible : nous consulter avant l'inscription.",
]
MODALITES_INSCRIPTION = [
    "Inscription en ligne sur notre site, puis confirmation par courriel.",
    "Dossier d'inscription à retirer à l'accueil ou à demander par courriel.",
    "Inscription auprès de votre conseiller France Travail, Mission locale ou Cap emploi.",
    "Inscription par téléphone du lundi au vendredi, de 9 h à 17 h.",
    "Candidature via Mon Compte Formation.",
]
BLOCS = ["Préparer et organiser", "Réaliser", "Contrôler et améliorer", "Communiquer et coordonner",
         "Gérer la relation client pour", "Assurer la sécurité et la qualité de", "Encadrer une équipe de",
         "Piloter l'activité de", "Conseiller et accompagner dans"]
SOUS_TRAITANTS = ["Ateliers Métiers Formation", "Campus Compétences Conseil", "Institut Horizon Pro",
                  "Association Savoirs et Emploi", "École des Métiers du Bâtiment", "Centre Langues Plus"]
COMPLEMENTS = ["Bâtiment A", "Bâtiment B, 2e étage", "Escalier C", "Rez-de-chaussée", "Service formation continue",
               "Porte 3", "Hall d'accueil"]
# approximate centres of the Île-de-France départements (latitude, longitude): generated
# geolocations fall around them, not on the communes' exact positions (none in the seeds)
CENTRES = {"75": (48.8566, 2.3522), "77": (48.6190, 2.9980), "78": (48.8150, 1.8960), "91": (48.5250, 2.2430),
           "92": (48.8400, 2.2400), "93": (48.9170, 2.4780), "94": (48.7770, 2.4690), "95": (49.0700, 2.1620)}
# a training whose title names a language is taught (partly) in it
LANGUES_TITRES = {"anglais": "en", "commerce international": "en"}
