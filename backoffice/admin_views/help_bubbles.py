"""The « i » info bubbles: what each field expects or shows, and what each dashboard counter counts.

One place for their texts. A bubble is the field's description (labels.py) unless the users' questions
and answers (the help pages, backoffice/help/) answer for that field: then that answer, in its words,
replaces it.
The fiche organisme (templates/admin/organisme_fiche.html), the « Liste des validations » of the
action fiche and the dashboard read them from here; the templates render them with
templates/admin/_info_bulle.html (a button, its text in a tooltip announced by aria-describedby).
"""
from ..workflow import Controle
from .labels import ORGANISME_DESCRIPTIONS

# What the users' answers say about a field of the fiche organisme (« Quels champs faut-il renseigner dans
# ma fiche organisme de formation et comment ? » and the questions around it).
_ANSWERS_ORGANISME = {
    "numero": ("L'application génère elle-même un numéro pour les organismes de formation, les actions de "
               "formation et les sessions. Chaque numéro est différent car il sert d'identification dans "
               "DOKELIO Ile-de-France."),
    "code_postal": ("Code postal à 5 chiffres ; il détermine le département. Le périmètre de DOKELIO "
                    "Ile-de-France se limite aux actions de formation se déroulant en Ile-de-France."),
    "region": ("Déduite de la commune. Un organisme situé hors Ile-de-France qui propose des formations en "
               "présentiel en Ile-de-France joint à sa pré-inscription un justificatif (convention de formation "
               "précisant un lieu de formation francilien, anonymisée, au format PDF de moins de 1 Mo)."),
    "justificatif_nom": ("Pour un organisme situé hors Ile-de-France : une convention de formation précisant un "
                         "lieu de formation en présentiel francilien, en anonymisant impérativement le document "
                         "s'il contient des informations concernant un individu (RGPD). Format PDF, moins de 1 Mo."),
    "adresses": ("Le carnet d'adresses rassemble les adresses de l'organisme, réutilisées comme lieux de formation "
                 "des sessions. Pour saisir une adresse, cliquez sur « Ajouter Carnet d'adresses », "
                 "renseignez-la puis enregistrez la fiche."),
    "contacts": ("Le carnet de contacts rassemble les contacts de l'organisme. Pour saisir un contact, cliquez sur "
                 "« Ajouter Carnet de contacts », renseignez-le puis enregistrez la fiche. Un contact non "
                 "diffusable ne quitte jamais le back-office."),
}

ORGANISME_BUBBLES: dict[str, str] = {**ORGANISME_DESCRIPTIONS, **_ANSWERS_ORGANISME}

# The fiche organisme's general note (the users' first answer about the fiche).
FICHE_NOTE = ("Les données obligatoires à renseigner sont matérialisées à l'écran par un astérisque (*). Des "
              "info-bulles, le bouton « i », vous permettent d'obtenir davantage d'informations sur la nature des "
              "données attendues ou affichées.")

# The « Validation » block of the action fiche (« Ma formation délivre une certification : comment la
# rattacher ? » and « Ma formation est éligible au CPF : comment le renseigner ? »).
VALIDATION_BUBBLES = {
    "certifications": ("Pour lier une certification, renseignez le pavé « Validation » : recherchez la "
                       "certification ou l'habilitation dans le référentiel Certif Info par son code RNCP / RS ou "
                       "son intitulé. L'intitulé de l'action de formation doit correspondre à l'intitulé exact de "
                       "la certification ou de l'habilitation. Si l'action de formation est déjà en diffusion, "
                       "contactez l'équipe DOKELIO Ile-de-France."),
    "cpf": ("Vous ne pouvez pas renseigner directement un code CPF. L'action de formation est « tagguée » CPF sur "
            "les sites partenaires si vous avez renseigné, dans le pavé « Validation », une certification ou une "
            "habilitation éligible."),
}

# What each dashboard counter counts (services/offer_queries.py NAMED_LISTS and ORGANISME_LISTS: the
# queries; tests/integration/test_dashboard_definitions.py checks that both say the same).
COUNTER_BUBBLES = {
    "toute_offre": "Toutes les actions de formation de votre périmètre, quels que soient leurs indicateurs. "
                   "Cliquez sur le chiffre pour en afficher la liste.",
    "conventionnees": "Les actions conventionnées des programmes de votre organisme financeur.",
    "saisies_en_cours": "Les actions en rédaction / en brouillon, non archivées : il faut les compléter et les "
                        "soumettre au contrôle. Elles ne sont pas encore visibles par l'équipe DOKELIO "
                        "Ile-de-France.",
    "organismes_brouillon": "Les fiches organisme pré-inscrites, pas encore validées par l'équipe DOKELIO "
                            "Ile-de-France.",
    "donnees_a_modifier": "Les actions non archivées dont les données attendent le contrôle : soumises (à "
                          "contrôler) ou à modifier (corrections demandées par les documentalistes). Une action "
                          "disparaît de ce compteur quand elle a été contrôlée et mise en diffusion (visée) par les "
                          "documentalistes du CARIF francilien.",
    Controle.A_CONTROLER.value: "Les actions soumises au contrôle et non archivées, la plus ancienne soumission en premier.",
    "archivage_10_jours": "Les actions diffusées qui s'archiveront automatiquement dans les 10 jours : un mois "
                          "après la date de fin de leur dernière session.",
}
