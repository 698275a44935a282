"""The French labels and tooltips (info-bulles) of the fields, one place for every screen."""

TRACKED_LABELS = {
    "numero": "Identifiant Dokelio",
    "created_at": "Créé le",
    "updated_at": "Modifié le",
    "last_actor": "Dernier utilisateur",
    "identifiant_externe": "Identifiant externe",
    "source": "Source",
}

ADDRESS_LABELS = {
    "pays": "Pays",
    "complement_service": "Direction, service, étage, bureau...",
    "complement_batiment": "Immeuble, bâtiment, zone industrielle...",
    "numero_voie": "Numéro",
    "voie": "Type et nom de la voie",
    "lieu_dit": "Mention de distribution et lieu dit",
    "code_postal": "Code postal",
    "ville": "Ville",
    "region": "Région",
    "departement": "Département",
}

ADDRESS_DESCRIPTIONS = {
    "pays": "Pays de l'adresse (FRANCE par défaut).",
    "complement_service": "Complément d'adresse : direction, service, étage, bureau.",
    "complement_batiment": "Complément d'adresse : immeuble, bâtiment, zone industrielle.",
    "numero_voie": "Numéro dans la voie, avec son indice (bis, ter) le cas échéant.",
    "voie": "Type et nom de la voie, par exemple « Avenue de Ceinture ».",
    "lieu_dit": "Mention spéciale de distribution (BP, CS) ou lieu-dit.",
    "code_postal": "Code postal à 5 chiffres ; il détermine le département.",
    "ville": "Commune.",
    "region": "Région administrative.",
}

ORGANISME_LABELS = {
    **TRACKED_LABELS,
    **ADDRESS_LABELS,
    "siret": "SIRET",
    "nda": "Numéro de déclaration d'activité",
    "uai": "UAI",
    "raison_sociale": "Raison sociale",
    "nom_usuel": "Nom usuel",
    "est_organisme_formation": "Organisme de formation",
    "est_financeur": "Organisme financeur",
    "est_mediateur": "Médiateur",
    "type_financeur": "Type de financeur",
    "adresse_postale_differente": "Adresse postale différente",
    "postale_complement_service": "Adresse postale : direction, service, étage...",
    "postale_complement_batiment": "Adresse postale : immeuble, bâtiment...",
    "postale_numero_voie": "Adresse postale : numéro",
    "postale_voie": "Adresse postale : type et nom de la voie",
    "postale_lieu_dit": "Adresse postale : mention de distribution et lieu dit",
    "postale_code_postal": "Adresse postale : code postal",
    "postale_ville": "Adresse postale : ville",
    "telephone": "Téléphone",
    "autre_telephone": "Autre téléphone",
    "telecopie": "Télécopie",
    "courriel": "Courriel",
    "site_internet": "Site internet",
    "etat": "État",
    "justificatif_nom": "Justificatif",
    "formation_foad_uniquement": "Formations uniquement à distance (FOAD)",
    "adresses": "Carnet d'adresses",
    "contacts": "Carnet de contacts",
    "modifications_a_valider": "Modifications à valider",
    "publie_le": "Fiche validée le",
}

ORGANISME_DESCRIPTIONS = {
    **ADDRESS_DESCRIPTIONS,
    "siret": "Numéro SIRET de l'établissement : 14 chiffres, clé de contrôle vérifiée.",
    "nda": "Numéro de déclaration d'activité attribué par la DRIEETS : 11 caractères.",
    "uai": "Pour les centres de formation d'apprentis : numéro UAI (7 chiffres et une lettre).",
    "raison_sociale": "Raison sociale telle qu'elle figure au répertoire SIRENE.",
    "nom_usuel": "Nom sous lequel l'organisme est connu du public.",
    "est_organisme_formation": "L'organisme dispense des formations.",
    "est_financeur": "L'organisme finance des formations (Région, Département, Pôle emploi, OPCO...).",
    "est_mediateur": "L'organisme oriente ou informe les publics sur l'offre de formation.",
    "type_financeur": "Pour un organisme financeur : sa catégorie (code LHEO).",
    "adresse_postale_differente": "Cochez si le courrier doit être envoyé à une autre adresse.",
    "telephone": "Téléphone principal de l'organisme.",
    "autre_telephone": "Un second numéro de téléphone.",
    "telecopie": "Numéro de télécopie.",
    "courriel": "Adresse de courriel générale de l'organisme.",
    "site_internet": "Adresse du site internet, par exemple http://www.greta-95.fr",
    "adresses": "Adresses réutilisables de l'organisme, aussi lieux de formation des sessions.",
    "contacts": "Contacts de l'organisme ; un contact non diffusable ne quitte jamais le back-office.",
}

ADRESSE_LABELS = {**TRACKED_LABELS, **ADDRESS_LABELS, "organisme": "Organisme", "libelle": "Libellé"}
ADRESSE_DESCRIPTIONS = {**ADDRESS_DESCRIPTIONS, "organisme": "Organisme propriétaire de l'adresse.",
                        "libelle": "Nom court de l'adresse dans le carnet, par exemple « Site de Meaux »."}

CONTACT_LABELS = {
    **TRACKED_LABELS,
    "organisme": "Organisme",
    "nom": "Nom",
    "prenom": "Prénom",
    "fonction": "Fonction",
    "autre_fonction": "Autre fonction ou service",
    "telephone": "Téléphone",
    "mobile": "Téléphone mobile",
    "telecopie": "Télécopie",
    "courriel": "Courriel",
    "diffusable": "Diffusable",
    "principal": "Contact principal",
}
CONTACT_DESCRIPTIONS = {
    "organisme": "Organisme auquel le contact est rattaché.",
    "nom": "Nom de famille du contact.",
    "prenom": "Prénom du contact.",
    "fonction": "Fonction, par exemple « Assistante formation ».",
    "autre_fonction": "Autre fonction ou service.",
    "telephone": "Téléphone fixe.",
    "mobile": "Téléphone mobile.",
    "telecopie": "Télécopie.",
    "courriel": "Adresse de courriel.",
    "diffusable": "Non : le contact reste dans le back-office et n'est jamais diffusé aux partenaires.",
    "principal": "Le contact principal de l'organisme (un seul).",
}

ACTION_LABELS = {
    **TRACKED_LABELS,
    "organisme": "Organisme",
    "parent": "Action modulaire parente",
    "type": "Action ou module",
    "modulaire": "Action modulaire",
    "module_autonome": "Module autonome",
    "type_accompagnement": "Type d'accompagnement",
    "conventionnee": "Action conventionnée",
    "programme": "Programme",
    "intitule": "Intitulé",
    "objectif": "Objectif",
    "contenu": "Contenu",
    "resultats_attendus": "Résultats attendus",
    "conditions_specifiques": "Conditions spécifiques",
    "niveau_entree": "Niveau d'entrée",
    "niveau_sortie": "Niveau de sortie",
    "attestation_suivi": "Attestation de suivi / de présence",
    "validation_partielle": "Validation partielle",
    "sessions_par_an": "Nombre de sessions prévues par an",
    "periodicite": "Périodicité session",
    "entrees_sorties": "Entrées / sorties",
    "contact": "Contact de la formation",
    "certifications": "Certifications ou habilitations",
    "formacodes": "Domaines (Formacode)",
    "nsfs": "Domaines (NSF)",
    "controle": "Indicateur de contrôle",
    "publication": "Indicateur de publication",
    "etat_fiche": "Etat de la fiche",
    "soumis_le": "Soumis le",
    "vise_le": "Visé le",
    "completude_le": "Demande de complétude le",
    "completude_message": "Message de la demande de complétude",
    "sessions": "Sessions",
    "modules": "Modules",
    "eligible_cpf": "Éligible CPF",
    "parcours": "Type de parcours",
    "publics": "Public visé",
    "public_vise": "Précisions sur le public visé",
    "niveau_entree_obligatoire": "Niveau d'entrée obligatoire",
    "prise_en_charge_possible": "Prise en charge des frais possible",
    "romes": "Métiers visés (codes ROME)",
    "modalites_pedagogiques": "Modalités pédagogiques",
    "modalites_pedagogiques_codes": "Modalités pédagogiques (liste)",
    "langues": "Langues de la formation",
    "acces_handicapes": "Accès des personnes en situation de handicap",
    "modalites_recrutement": "Modalités de recrutement et d'admission",
    "blocs": "Blocs de compétences préparés",
    "validation_blocs": "Validation des blocs de compétences",
    "url_formation": "Adresse web de la formation",
    "url_action": "Adresse web de l'action",
}
ACTION_DESCRIPTIONS = {
    "organisme": "Organisme de formation responsable de l'action.",
    "type": "Action de formation, module d'une action modulaire, ou accompagnement.",
    "modulaire": "Oui si l'action est composée de modules (saisis dans l'onglet MODULES).",
    "module_autonome": "Oui si le module peut être suivi seul.",
    "type_accompagnement": "Pour un accompagnement : sa nature.",
    "conventionnee": "Action bénéficiant d'un financement public issu d'un appel d'offre ; "
                     "seules les documentalistes peuvent la créer.",
    "programme": "Programme du financeur public (financeur + dispositif + année).",
    "intitule": "Doit correspondre à l'intitulé exact de la certification RNCP/RS rattachée.",
    "objectif": "Objectif de la formation : compétences visées.",
    "contenu": "Contenu et programme de la formation.",
    "resultats_attendus": "Résultats attendus à l'issue de la formation (diplôme, titre, attestation...).",
    "parcours": "En groupe : le même parcours pour tous ; individualisé, modularisé ou mixte : le parcours "
                "s'adapte à chaque stagiaire après un positionnement à l'entrée.",
    "publics": "Choisissez dans la liste les publics auxquels la formation s'adresse (de 1 à 10), par exemple "
               "« Demandeur d'emploi » ou « Salarié ».",
    "public_vise": "Ce que la liste des publics ne dit pas, en 250 caractères au plus : par exemple "
                   "« jeunes de 16 à 25 ans sortis du système scolaire ».",
    "niveau_entree_obligatoire": "Oui si le niveau d'entrée est exigé ; Non s'il est seulement conseillé.",
    "prise_en_charge_possible": "Oui si les frais de formation peuvent être pris en charge (CPF, OPCO, France "
                                "Travail, Région...) ; précisez les conditions sur chaque session.",
    "romes": "Les métiers auxquels la formation prépare : recherchez-les par code ROME ou par intitulé "
             "(5 au plus).",
    "modalites_pedagogiques": "Comment la formation se déroule, en 200 caractères au plus : études de cas, mises "
                              "en situation, plateau technique, autoformation tutorée...",
    "modalites_pedagogiques_codes": "Choisissez dans la liste les modalités pédagogiques (5 au plus).",
    "langues": "Langues dans lesquelles la formation est dispensée (5 au plus) ; laissez vide pour le français "
               "seul.",
    "acces_handicapes": "Conditions d'accueil et d'accès des personnes en situation de handicap : locaux "
                        "accessibles, référent handicap, aménagements possibles (250 caractères au plus).",
    "modalites_recrutement": "Comment les candidats sont recrutés : dossier, tests, entretien, information "
                             "collective... (3 000 caractères au plus).",
    "blocs": "Les blocs de compétences des certifications rattachées que l'action prépare. Enregistrez d'abord "
             "la certification : ses blocs apparaissent ensuite dans cette liste.",
    "validation_blocs": "Totale : tous les blocs de la certification ; partielle : certains blocs seulement ; "
                        "mixte : la certification entière, mais aussi des blocs en parcours individualisé.",
    "url_formation": "Page de votre site qui présente la formation, par exemple https://www.greta-95.fr/cap-cuisine",
    "url_action": "Page de votre site propre à cette action, si elle diffère de celle de la formation.",
    "conditions_specifiques": "Prérequis et conditions d'accès.",
    "niveau_entree": "Niveau requis à l'entrée (code LHEO).",
    "niveau_sortie": "Niveau atteint à la sortie (code LHEO).",
    "attestation_suivi": "Une attestation de suivi ou de présence est remise.",
    "validation_partielle": "La certification peut être obtenue par blocs de compétences.",
    "sessions_par_an": "Nombre de sessions prévues chaque année.",
    "periodicite": "Par exemple « tous les ans ».",
    "certifications": "Recherchez la certification dans le référentiel (code RNCP/RS ou intitulé) ; "
                      "le tag CPF en découle.",
    "formacodes": "Domaines de formation Formacode.",
    "nsfs": "Domaines NSF.",
    "contact": "Contact de l'organisme pour cette formation.",
    "identifiant_externe": "Identifiant de l'action dans le système qui l'a transmise.",
    "source": "Système ou flux qui a alimenté l'action.",
}

SESSION_LABELS = {
    **TRACKED_LABELS,
    "action": "Action de formation ou module",
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "lieu": "Lieu de formation principal",
    "code_postal": "Code postal du lieu de formation principal",
    "duree_totale": "Durée totale (heures)",
    "heures_centre": "Heures en centre",
    "heures_entreprise": "Heures en entreprise",
    "modalite": "Modalités d'enseignement",
    "dispositif": "Dispositif",
    "duree_cycle": "Durée du cycle (années)",
    "annees_apprentissage": "Année(s) apprentissage",
    "niveau_bac": "Pré-bac / post-bac",
    "rythme": "Rythme",
    "unites_centre": "Unités en centre",
    "unites_entreprise": "Unités en entreprise",
    "etat_recrutement": "Etat du recrutement",
    "archivee": "Archivée",
    "adresse_inscription": "Adresse d'inscription",
    "adresse_information": "Adresse d'information",
    "contact": "Contact de la session",
    "rythme_formation": "Rythme de la formation",
    "modalites_alternance": "Modalités de l'alternance",
    "prix_total_ttc": "Prix total TTC (€)",
    "prix_horaire_ttc": "Prix horaire TTC (€)",
    "frais_restants": "Frais restant à la charge du stagiaire",
    "detail_prise_en_charge": "Détail des conditions de prise en charge",
    "modalites_inscription": "Modalités d'inscription",
    "inscription_debut": "Début de la période d'inscription",
    "inscription_fin": "Fin de la période d'inscription",
    "dates_information": "Dates des réunions d'information",
    "url_session": "Adresse web de la session",
    "formateur_siret": "SIRET de l'organisme formateur",
    "formateur_raison_sociale": "Raison sociale de l'organisme formateur",
    "formateur_uai": "UAI de l'organisme formateur",
    "financeurs": "Financeurs et places financées",
    "financeur": "Financeur",
    "nb_places": "Nombre de places financées",
}
SESSION_DESCRIPTIONS = {
    "action": "L'action de formation ou le module auquel la session appartient.",
    "date_debut": "Premier jour de la session : JJ/MM/AAAA, ou MM/AAAA si seul le mois est connu, ou AAAA si "
                  "seule l'année est connue.",
    "date_fin": "Dernier jour de la session (JJ/MM/AAAA, MM/AAAA ou AAAA) ; postérieure ou égale à la date de "
                "début.",
    "lieu": "Adresse du carnet d'adresses où se déroule la session (en Île-de-France sauf FOAD).",
    "duree_totale": "Nombre total d'heures de la session.",
    "heures_centre": "Dont heures en centre de formation.",
    "heures_entreprise": "Dont heures en entreprise.",
    "modalite": "Présentiel, mixte ou entièrement à distance (FOAD).",
    "dispositif": "Par exemple « contrat d'apprentissage », « contrat de professionnalisation ».",
    "duree_cycle": "Apprentissage : durée du cycle en années.",
    "annees_apprentissage": "Apprentissage : années concernées (1 à 5), à cocher.",
    "niveau_bac": "Apprentissage : formation pré-bac ou post-bac.",
    "rythme": "Apprentissage : rythme de l'alternance, par exemple « 2 jours / 3 jours ».",
    "unites_centre": "Apprentissage : unités de temps en centre dans le cycle d'alternance.",
    "unites_entreprise": "Apprentissage : unités de temps en entreprise dans le cycle d'alternance.",
    "etat_recrutement": "Ouvert, fermé ou suspendu.",
    "archivee": "Une session archivée ne compte plus pour la soumission ni pour la diffusion.",
    "adresse_inscription": "Où s'inscrire, si ce n'est pas le lieu de formation : une adresse du carnet d'adresses "
                           "de l'organisme. Laissez vide si c'est le lieu de formation.",
    "adresse_information": "Où s'informer (réunions d'information), si ce n'est pas le lieu de formation : une "
                           "adresse du carnet d'adresses. Laissez vide si c'est le lieu de formation.",
    "contact": "La personne à joindre pour cette session, si ce n'est pas le contact de la formation : un "
               "contact du carnet de contacts de l'organisme.",
    "rythme_formation": "Par exemple « temps plein, 35 heures par semaine, du lundi au vendredi » ou « cours du "
                        "soir, 2 soirs par semaine ».",
    "modalites_alternance": "Pour une formation en alternance : l'organisation des périodes en centre et en "
                            "entreprise (dates, durées).",
    "prix_total_ttc": "Coût total maximum par stagiaire, toutes taxes et tous frais compris, en euros : par "
                      "exemple 2 450 ou 2 450,50.",
    "prix_horaire_ttc": "Prix de vente TTC d'une heure de formation, en euros : par exemple 12,50 (999,99 au plus).",
    "frais_restants": "Ce qui reste à payer par le stagiaire après prise en charge (200 caractères au plus).",
    "detail_prise_en_charge": "Qui peut prendre en charge les frais et à quelles conditions (600 caractères au "
                              "plus).",
    "modalites_inscription": "Comment s'inscrire : en ligne, auprès de France Travail, sur dossier... (255 "
                             "caractères au plus).",
    "inscription_debut": "Premier jour des inscriptions : JJ/MM/AAAA, MM/AAAA ou AAAA. Indiquez le début et la "
                         "fin de la période, ou aucun des deux.",
    "inscription_fin": "Dernier jour des inscriptions : JJ/MM/AAAA, MM/AAAA ou AAAA ; au plus tôt le début de la "
                       "période.",
    "dates_information": "Jusqu'à 3 dates de réunion d'information collective : JJ/MM/AAAA, MM/AAAA ou AAAA.",
    "url_session": "Page de votre site propre à cette session (inscription en ligne par exemple).",
    "formateur_siret": "Si un autre organisme réalise la formation (sous-traitance) : son SIRET, 14 chiffres.",
    "formateur_raison_sociale": "Raison sociale de l'organisme qui réalise la formation ; obligatoire avec son "
                                "SIRET.",
    "formateur_uai": "Si l'organisme formateur est un CFA : son numéro UAI (7 chiffres et une lettre).",
    "financeurs": "Les financeurs de la session (8 au plus) et, pour chacun, le nombre de places qu'il finance.",
    "financeur": "Organisme financeur (table des financeurs LHEO).",
    "nb_places": "Nombre de places financées par ce financeur ; laissez vide s'il n'est pas connu.",
}

# What a record is called in a message ("Action AF_… enregistrée", "Contact « Paul Martin »
# supprimé") and in the history, by table: (noun, feminine).
RECORD_NOUNS = {
    "action": ("Action", True), "session": ("Session", True), "organisme": ("Organisme", False),
    "adresse": ("Adresse", True), "contact": ("Contact", False), "users": ("Compte", False),
    "role": ("Rôle", False), "region": ("Région", True), "departement": ("Département", False),
    "niveau": ("Niveau", False), "nsf": ("Domaine NSF", False), "formacode": ("Formacode", False),
    "financeur": ("Financeur", False), "modalite": ("Modalité d'enseignement", True),
    "etat_recrutement": ("État de recrutement", False), "dispositif": ("Dispositif", False),
    "programme": ("Programme", False), "certification": ("Certification", True),
}

# Columns no screen shows but the history names (a transition row's "indicateurs" included).
HISTORY_ONLY_LABELS = {
    "indicateurs": "Indicateurs (contrôle / publication / fiche)",
    "archive_le": "Archivée le",
    "version_publiee": "Version publiée",
    "version_source": "Version reçue du flux",
    "debut_precision": "Précision de la date de début",
    "fin_precision": "Précision de la date de fin",
    "action_externe": "Identifiant externe de l'action",
    "code_insee": "Code INSEE de la commune",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "justificatif_path": "Justificatif (fichier)",
}

_ENTITY_LABELS = {"action": ACTION_LABELS, "session": SESSION_LABELS, "organisme": ORGANISME_LABELS,
                  "adresse": ADRESSE_LABELS, "contact": CONTACT_LABELS}


def field_label(entity: str, field: str | None, others: dict[str, str] | None = None) -> str:
    """The label a screen gives the column `field` of table `entity` (a key column `niveau_sortie_code`
    or `lieu_id` under its relation's label); `others` for the tables whose labels live elsewhere."""
    if not field:
        return ""
    known = {**(others or {}), **_ENTITY_LABELS.get(entity, {}), **HISTORY_ONLY_LABELS}
    for key in (field, field.removesuffix("_code"), field.removesuffix("_id")):
        if key in known:
            return known[key]
    return field.replace("_", " ").capitalize()


def record_noun(entity: str) -> tuple[str, bool]:
    return RECORD_NOUNS.get(entity, ("Fiche", True))
