"""Help pages: getting in (pré-inscription, log-in, password, lock). Format: markup.py; {figures}: entries.FIGURES."""
from ..permissions import ORGANISME
from ..permissions import ROLES as EVERYONE

TOPIC = "Accès et compte"

ENTRIES = (
    ("comment-s-inscrire", "Comment s'inscrire ? (pré-inscription d'un organisme de formation)", TOPIC, (ORGANISME,),
     """
DOKELIO Ile-de-France recense les actions de formation qui se déroulent en Ile-de-France. Le service est
gratuit. Pour y référencer votre organisme de formation, faites une **pré-inscription** :

- ouvrez la page [Créer mon compte](/inscription) (lien « Pas encore inscrit ? » de la page de connexion) ;
- renseignez votre organisme (raison sociale, nom usuel, SIRET, numéro de déclaration d'activité), son adresse
  et vos coordonnées : vous serez le premier utilisateur de l'organisme ;
- indiquez si vous proposez des formations en présentiel en Ile-de-France, ou uniquement à distance (FOAD) ;
- cliquez sur **Envoyer ma demande de pré-inscription**.

Un organisme situé hors Ile-de-France qui forme en présentiel en Ile-de-France joint un **justificatif**
(par exemple une convention de formation indiquant un lieu de formation francilien, anonymisée) : un
fichier PDF de {justificatif_max_mo} Mo au plus. Sans ce justificatif, la demande ne peut pas être acceptée.
Un organisme situé hors Ile-de-France qui ne propose que des formations à distance ne peut pas se référencer
ici : il s'adresse au Carif-Oref de sa région.

Les documentalistes du CARIF francilien examinent ensuite votre demande. Une fois validée, vous recevez par
courriel votre **identifiant** et un lien pour choisir votre mot de passe : vous pouvez alors
[vous connecter](/connexion). Une question ? [Contactez-nous](/contact).
"""),
    ("se-connecter", "Se connecter, mot de passe oublié, compte bloqué", TOPIC, EVERYONE,
     """
Sur la [page de connexion](/connexion), saisissez votre **identifiant** et votre mot de passe.
L'identifiant est formé de la première lettre de votre prénom, de votre nom de famille et d'un chiffre
(par exemple fdurant1) ; il figure dans le courriel reçu à la création de votre compte.

**Mot de passe oublié ?** Cliquez sur [Mot de passe oublié ?](/mot-de-passe-oublie), saisissez votre
identifiant et l'adresse de courriel de votre compte, puis validez. Vous recevez un courriel avec un lien
pour choisir un nouveau mot de passe : ce lien ne sert qu'une fois et expire. Pensez à regarder dans vos
courriers indésirables.

**Compte bloqué.** Après {echecs_avant_blocage} mots de passe incorrects à la suite, la connexion est bloquée
{minutes_premier_blocage} minutes, puis plus longtemps à chaque nouvel échec (jamais plus de
{heures_blocage_max} heures). Le message de la page de connexion indique jusqu'à quelle heure. Pour débloquer
votre compte tout de suite, choisissez un nouveau mot de passe avec « Mot de passe oublié ? » : le compte est
débloqué dès que le nouveau mot de passe est enregistré.

Une fois connecté, le menu **Mon compte** vous permet de changer votre mot de passe et votre adresse de
courriel (la nouvelle adresse est confirmée par un lien envoyé à celle-ci).
"""),
)
