"""Help pages: entering, controlling and publishing the offer, the carnets. Format: markup.py;
{figures}: entries.FIGURES; the labels quoted are those of workflow.LABELS and EVENT_LABELS."""
from ..permissions import DOCUMENTALISTE, FINANCEUR, ORGANISME

OFFER = "Saisir et publier l'offre"
EDITORS = (ORGANISME, DOCUMENTALISTE)

ENTRIES = (
    ("retrouver-ses-actions", "Retrouver ses actions de formation (tableau de bord)", OFFER,
     (ORGANISME, DOCUMENTALISTE, FINANCEUR),
     """
Le menu **Votre tableau de bord** compte vos actions par liste : « Afficher toute l'offre de formation »,
« Saisies en cours », « Données à modifier »… Cliquez sur un chiffre pour ouvrir la liste correspondante.
La [liste des actions](/admin/actions/) s'ouvre aussi par **Gérer ses offres › Actions de formation** ;
sa zone de recherche trouve une action par les mots de son intitulé, de son organisme ou de son contenu
(accents et majuscules ignorés), par son identifiant (AF_…) ou par celui d'une de ses sessions (SE_…) ;
le nom complet d'un organisme (raison sociale ou nom usuel) affiche ses actions.

Une action disparaît des « Données à modifier » quand elle a été contrôlée et visée par les documentalistes :
elle est alors diffusée. L'organisme de votre fiche se retrouve par
**Gérer ses organismes › Rechercher un organisme**.
"""),
    ("saisir-une-action", "Saisir une action de formation et ses sessions", OFFER, EDITORS,
     """
Dans [Actions de formation](/admin/actions/), cliquez sur **Créer**. Les champs marqués d'une astérisque
(*) sont obligatoires pour soumettre l'action ; les info-bulles précisent ce qui est attendu. Cliquez sur
**ENREGISTRER** : l'action reçoit son identifiant Dokelio (AF_…) et ses indicateurs En rédaction / Brouillon.

- Une certification correspond à **une seule action de formation** par organisme : pour d'autres lieux,
  d'autres dates, durées ou modalités, créez plusieurs **sessions** de la même action, sinon l'action est
  signalée comme doublon.
- Pour rattacher une certification (et l'éligibilité au CPF qui en découle), renseignez le pavé
  **Validation** de l'onglet ACTION.
- Un organisme de formation ne crée que des actions **non conventionnées** : les actions conventionnées
  sont pré-créées par les documentalistes du CARIF francilien.

Les sessions se gèrent dans l'onglet **SESSION** de la fiche : **CREER** ouvre une nouvelle session (dates,
durée, modalités, dispositif, lieu de formation, adresse d'inscription, contact) ; **Dupliquer** en crée une
copie pré-remplie, à dater. Chaque session reçoit un identifiant SE_… : c'est le numéro de session que les
financeurs vous demandent. Les lieux et contacts se choisissent dans vos
[carnets d'adresses et de contacts](/aide/carnets).
"""),
    ("soumettre-au-controle", "Soumettre une action au contrôle", OFFER, EDITORS,
     """
Une action complète se soumet aux documentalistes avec le bouton **SOUMETTRE** de sa fiche. Ce que vous
avez saisi sur la page est enregistré d'abord. SOUMETTRE est refusé, avec la liste de ce qui manque, si :

- un champ obligatoire (*) est vide ;
- l'action n'a aucune session non archivée, ou seulement des sessions passées : créez une session à venir
  ou mettez à jour ses dates (onglet SESSION) ;
- l'action est un doublon d'une autre action du même organisme pour la même certification.

L'action passe alors **À contrôler**. La documentaliste la **vise** (elle devient Visé / Diffusable et part
chez les partenaires) ou vous adresse une **demande de complétude** : l'action passe À modifier, le message
s'affiche en haut de la fiche ; corrigez-la puis soumettez-la de nouveau. Sans réponse {jours_avant_inactivation}
jours après une demande de complétude, l'action devient [Inactif / À supprimer](/aide/action-inactive).

Modifier une action déjà visée la renvoie au contrôle (À contrôler) : les partenaires gardent la version
visée jusqu'au nouveau visa.
"""),
    ("les-indicateurs", "Comment lire les indicateurs d'une action", OFFER, (ORGANISME, DOCUMENTALISTE, FINANCEUR),
     """
Chaque action porte trois indicateurs : l'**indicateur de contrôle** (En rédaction, À contrôler, À modifier,
Visé, Inactif), l'**indicateur de publication** (Brouillon, En rédaction, Diffusable, Archivé, À supprimer)
et l'**état de la fiche** (Créé, Archivé, Désarchivé). Les cas les plus fréquents :

- **En rédaction / Brouillon** : à compléter puis à soumettre ; l'équipe ne la voit pas encore.
- **À contrôler / En rédaction** : soumise, en cours de contrôle.
- **À modifier** : des corrections vous sont demandées, puis soumettez-la de nouveau.
- **Visé / Diffusable** : validée et diffusée chez les partenaires.
- **À contrôler / Diffusable** : vos modifications sont en contrôle ; les partenaires gardent la version visée.
- **… / Archivé** : l'action n'est plus diffusée (voir [Archiver, désarchiver](/aide/archiver-desarchiver)).
- **Inactif / À supprimer** : vous n'avez plus la main (voir [Action inactive](/aide/action-inactive)).

La légende complète est sous la [liste des actions](/admin/actions/#legende-indicateurs), et sur chaque fiche
(« Comment lire les indicateurs »), avec l'explication de l'état de l'action ouverte.
"""),
    ("archiver-desarchiver", "Archiver, désarchiver, dupliquer une action", OFFER, EDITORS,
     """
**Archivage automatique.** Une action s'archive d'elle-même un mois après la fin de sa dernière session.
{jours_avant_archivage} jours avant, un courriel vous prévient : pour qu'elle reste diffusée, créez ses
prochaines sessions (onglet SESSION) avant cette date.

**ARCHIVER** retire l'action de la diffusion tout de suite ; elle n'est plus modifiable (indicateurs
… / Archivé / Archivé). Une session peut aussi être archivée seule, depuis l'onglet SESSION.

**Désarchiver.** Sur une action archivée, cliquez sur **DESARCHIVER** : l'action passe En rédaction /
Désarchivé et la fiche vous propose de gérer ses sessions. Créez une session à venir (ou dupliquez une
ancienne et datez-la), enregistrez, puis **SOUMETTRE** : l'action repasse au contrôle et sera de nouveau
diffusée après le visa.

**DUPLIQUER** crée une nouvelle action, copie de la fiche ouverte, en En rédaction / Brouillon, avec un
nouvel identifiant : complétez-la et soumettez-la. Un organisme de formation ne peut pas dupliquer une action
conventionnée.
"""),
    ("action-inactive", "Mon action est Inactif / À supprimer", OFFER, EDITORS,
     """
Quand une documentaliste a demandé de compléter une action (demande de complétude) et que l'action n'a
pas été corrigée et soumise dans les {jours_avant_inactivation} jours, elle passe **Inactif / À supprimer**.
L'organisme de formation n'a plus la main : la fiche ne peut plus être modifiée, soumise ni archivée par lui.

Pour la remettre en ligne, [contactez l'équipe](/contact) en indiquant son identifiant (AF_…) : une
documentaliste peut la **réactiver** ; elle revient alors À modifier, pour que vous la corrigiez et la
soumettiez de nouveau.
"""),
    ("carnets", "Le carnet d'adresses et le carnet de contacts", "Organisme, adresses et contacts", EDITORS,
     """
Les adresses et les contacts de votre organisme se saisissent une fois, dans le menu **Gérer ses
organismes** : [Carnet d'adresses](/admin/adresses/) et [Carnet de contacts](/admin/contacts/). Une session
choisit ensuite ses adresses (lieu de formation, adresse d'inscription, d'information) et son contact dans
ces carnets.

- Une adresse est retrouvée par son code postal et sa ville ; un lieu de formation doit être en Ile-de-France.
- Un seul **contact principal** par organisme ; un contact **non diffusable** n'est pas transmis aux
  partenaires.
- Modifier une adresse ou un contact utilisé, c'est modifier les actions qui l'affichent : une action visée
  repasse au contrôle, les partenaires gardant la version visée jusqu'au visa.
- Une adresse ou un contact utilisé par une session ou une action en cours ne peut pas être supprimé : le
  message indique lesquelles l'utilisent.

La fiche de l'organisme elle-même s'ouvre par **Gérer ses organismes › Organismes** ; ses modifications sont
diffusées après validation par une documentaliste.
"""),
)
