"""French labels and tooltips (info-bulles) of the referential and user screens."""

LOCKABLE_FIELD_LABELS = {
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "duree_totale": "Durée totale (heures)",
    "heures_centre": "Heures en centre",
    "heures_entreprise": "Heures en entreprise",
}

LABELS = {
    "id": "Identifiant technique",
    "code": "Code",
    "libelle": "Libellé",
    "nom": "Nom",
    "region": "Région",
    "lheo_code": "Code LHEO",
    "apprentissage": "Apprentissage",
    "intitule": "Intitulé",
    "financeur": "Financeur",
    "dispositif": "Dispositif",
    "annee": "Année",
    "champs_verrouilles": "Champs verrouillés pour l'organisme",
    "certifinfo": "Numéro Certif Info",
    "code_rncp": "Code RNCP",
    "code_rs": "Code RS",
    "sigle": "Sigle",
    "niveau": "Niveau",
    "eligible_cpf": "Éligible CPF",
    "premiere_session": "Première session",
    "derniere_session": "Dernière session",
    "etat": "État",
}

DESCRIPTIONS = {
    "id": "Numéro attribué par l'application.",
    "code": "Code unique de l'entrée ; il ne peut plus être modifié après la création car d'autres fiches s'y réfèrent.",
    "libelle": "Libellé affiché dans les listes et les formulaires.",
    "nom": "Nom officiel (code officiel géographique de l'INSEE).",
    "region": "Région à laquelle le département appartient.",
    "lheo_code": "Code de la table LHEO correspondante, utilisé dans les exports LHEO.",
    "apprentissage": "Cochez pour le contrat d'apprentissage : les sessions de ce dispositif alimentent le "
                     "catalogue de l'apprentissage et demandent cycle, années et rythme.",
    "intitule": "Intitulé complet.",
    "financeur": "Financeur public du programme (Région, Conseil départemental, France Travail, OPCO...).",
    "dispositif": "Dispositif de financement du programme.",
    "annee": "Année du programme (entre 2000 et 2100).",
    "champs_verrouilles": "Champs de session que l'organisme de formation ne peut pas modifier sur les actions "
                          "conventionnées de ce programme : seule l'équipe du CARIF peut les changer.",
    "certifinfo": "Numéro de la fiche Certif Info (nombre entier).",
    "code_rncp": "Code au Répertoire national des certifications professionnelles, par exemple RNCP34930.",
    "code_rs": "Code au Répertoire spécifique, par exemple RS5080. Indiquez au moins un code RNCP ou RS.",
    "sigle": "Sigle usuel (CAP, BTS, TP...).",
    "niveau": "Niveau de qualification de la certification.",
    "eligible_cpf": "Une action est étiquetée CPF si, et seulement si, une certification liée est éligible au CPF.",
    "premiere_session": "Année de la première session d'examen.",
    "derniere_session": "Année de la dernière session d'examen (au plus tôt l'année de première session).",
    "etat": "Une certification inactive ne peut plus être liée à une nouvelle action.",
}

USER_LABELS = {
    "identifiant": "Identifiant",
    "identifiant_genere": "Identifiant",
    "prenom": "Prénom",
    "nom": "Nom",
    "email": "Courriel",
    "role": "Rôle",
    "role_code": "Rôle",
    "financeur": "Financeur",
    "organismes": "Organismes rattachés",
    "actif": "Actif",
    "failed_logins": "Échecs de connexion",
    "locked_at": "Verrouillé le",
    "password_changed_at": "Mot de passe changé le",
    "last_login_at": "Dernière connexion",
    "created_at": "Créé le",
    "updated_at": "Modifié le",
    "last_actor": "Dernier utilisateur",
    "code": "Code",
    "libelle": "Libellé",
    "droits": "Droits",
}

USER_DESCRIPTIONS = {
    "identifiant": "Identifiant de connexion, généré par l'application : première lettre du prénom, nom et un chiffre.",
    "identifiant_genere": "Généré à l'enregistrement : première lettre du prénom + nom + un chiffre, en minuscules, "
                          "sans accents ni espaces (ex. fdurant1). Il ne se saisit pas.",
    "prenom": "Prénom de l'utilisateur.",
    "nom": "Nom de famille de l'utilisateur.",
    "email": "Adresse de courriel : les liens de création et de réinitialisation du mot de passe y sont envoyés.",
    "role": "Organisme de formation, Documentaliste, Financeur, Support ou Administrateur.",
    "role_code": "Rôle de l'utilisateur.",
    "financeur": "Pour un utilisateur financeur uniquement : il voit les actions conventionnées des programmes "
                 "de ce financeur.",
    "organismes": "Pour un utilisateur organisme de formation uniquement : les organismes qu'il gère "
                  "(recherche par identifiant, raison sociale, nom usuel ou SIRET).",
    "actif": "Un compte inactif ne peut pas se connecter.",
    "failed_logins": "Nombre d'échecs de connexion consécutifs.",
    "locked_at": "Date du verrouillage après trop d'échecs ; le support peut déverrouiller le compte.",
    "password_changed_at": "Date du dernier changement de mot de passe.",
    "last_login_at": "Date de la dernière connexion réussie.",
    "code": "Code du rôle.",
    "libelle": "Libellé affiché comme « Dernier utilisateur » dans les fiches.",
    "droits": "Ce que ce rôle peut faire, écran par écran.",
}
