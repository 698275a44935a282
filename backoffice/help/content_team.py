"""Help pages: the partners, the LHEO import, the team. Format: markup.py; {figures}: entries.FIGURES."""
from ..permissions import DOCUMENTALISTE, FINANCEUR, ORGANISME
from ..permissions import ROLES as EVERYONE

ENTRIES = (
    ("qui-recoit-l-offre", "Qui reçoit l'offre ? Les sites partenaires", "Diffusion et import",
     (ORGANISME, DOCUMENTALISTE, FINANCEUR),
     """
DOKELIO Ile-de-France est la base régionale de l'offre de formation professionnelle francilienne. Les
portails partenaires (sites d'orientation, d'emploi, d'apprentissage, systèmes d'information des
financeurs) la reçoivent au format LHEO, par un flux et une API.

- **Seule l'offre visée est diffusée** : une action part chez les partenaires quand une documentaliste l'a
  visée (indicateurs Visé / Diffusable). C'est la version visée qui est diffusée, avec ses sessions, ses
  adresses, ses contacts et ses financeurs.
- **Une modification attend le visa** : si vous modifiez une action déjà diffusée, les partenaires gardent
  la version visée jusqu'au visa suivant. De même pour la fiche de l'organisme, jusqu'à la validation de vos
  modifications par une documentaliste.
- **Un retrait s'applique tout de suite** : une action ou une session archivée, un contact rendu non
  diffusable disparaissent de la diffusion sans attendre.
- **Rien d'incomplet** : soumettre et viser exigent ce que le format LHEO exige ; une valeur inconnue est
  omise, jamais inventée.

Le numéro d'une session (SE_…) est celui que les financeurs vous demandent, par exemple pour un devis :
il n'est visible chez eux que si l'action est diffusée. Voir
[Comment lire les indicateurs](/aide/les-indicateurs).
"""),
    ("import-lheo", "Importer un flux LHEO (documentalistes)", "Diffusion et import", (DOCUMENTALISTE,),
     """
Le menu **Gérer ses offres › Importer un flux LHEO** (réservé aux documentalistes) charge un fichier XML au
format LHEO 2.2 ou 2.3 envoyé par un organisme ou un autre système.

- Choisissez le **fichier LHEO** et donnez le **nom de la source** : reprenez le même nom à chaque import
  d'un même flux. Les formations sont rapprochées par leur identifiant dans la source : un nouvel import met à
  jour ce qui a changé, sans doublon, et ne vide jamais une valeur déjà saisie.
- **Mode strict** : rien n'est écrit si un seul élément est rejeté ; le rapport liste alors tous les rejets
  à corriger.
- **Flux d'un Carif-Oref : sans contrôle du périmètre** : pour le flux d'un autre Carif-Oref, les
  formations hors Ile-de-France sont importées elles aussi.

L'import se déroule en arrière-plan. Son **rapport** montre l'avancement, le bilan, chaque élément rejeté
avec sa ligne et la raison, et se télécharge en CSV ; **Relancer l'import** le reprend. Les actions
importées arrivent **À contrôler** : elles ne sont diffusées qu'après votre visa. Le lien « Voir les actions
de la source » ouvre la [liste des actions](/admin/actions/) filtrée sur cette source.
"""),
    ("contacter-l-equipe", "Contacter l'équipe DOKELIO Ile-de-France", "Aide et contact", EVERYONE,
     """
Vous n'avez pas trouvé de réponse dans ces pages ? Ouvrez [Contactez-nous](/contact) (dans le menu, ou en
haut de la page de connexion) : choisissez le **sujet** de votre question (offre non conventionnée, offre
conventionnée, apprentissage), puis écrivez votre message. Il est transmis à la boîte de l'équipe du
CARIF francilien qui traite ce sujet, et l'on vous répond par courriel. Les adresses de ces boîtes sont
affichées sur la même page.

Pour une question sur une action précise, indiquez son **identifiant Dokelio** (AF_…) ou celui de la session
(SE_…).
"""),
)
