"""What the indicators of an action mean, in the users' words: the legend of the actions list
and of the fiche ("Comment lire les indicateurs").

Pure Python, keyed on the workflow's own values: one sentence per (contrôle, publication) pair
and one per état de la fiche. tests/unit/test_legend.py walks workflow.TRANSITIONS from the
states an action is born in and checks that every state the table can reach has both here.
The templates only render `entries()` and `explain()`.
"""
from __future__ import annotations

from . import workflow as W

C, P, F = W.Controle, W.Publication, W.EtatFiche

_ARCHIVED = ("L'action de formation a été archivée sur DOKELIO Ile-de-France : elle n'est plus diffusée. "
             "Pour la proposer à nouveau, désarchivez-la (DESARCHIVER), mettez à jour ses sessions et "
             "soumettez-la au contrôle.")
_INACTIVE = ("L'action de formation n'est pas active, vous n'avez pas la main pour la modifier. "
             "Veuillez nous contacter.")
_UNARCHIVED = ("L'action de formation a été désarchivée : elle n'est pas diffusée. Mettez à jour ses "
               "sessions (des dates à venir) puis soumettez-la au contrôle.")

# In the order a user meets them: entry, control, diffusion, then archived and inactive cases.
PAIRS: dict[tuple[W.Controle, W.Publication], str] = {
    (C.EN_REDACTION, P.BROUILLON):
        "Il faut la compléter et la soumettre, elle n'est pas visible par l'équipe DOKELIO Ile-de-France.",
    (C.A_CONTROLER, P.EN_REDACTION):
        "L'action de formation nous a été soumise, elle est en cours de contrôle.",
    (C.A_MODIFIER, P.EN_REDACTION):
        "Vous devez apporter des corrections à l'action de formation et la soumettre au contrôle.",
    (C.VISE, P.DIFFUSABLE):
        "L'action de formation a été validée par notre équipe, elle est en diffusion et visible sur "
        "les sites partenaires.",
    (C.A_CONTROLER, P.DIFFUSABLE):
        "Vos modifications nous ont été soumises et sont en cours de contrôle ; en attendant, les sites "
        "partenaires continuent d'afficher la dernière version validée.",
    (C.A_MODIFIER, P.DIFFUSABLE):
        "Des corrections vous sont demandées ; les sites partenaires continuent d'afficher la dernière "
        "version validée jusqu'à ce que l'action corrigée soit soumise et validée.",
    (C.EN_REDACTION, P.EN_REDACTION): _UNARCHIVED,
    (C.VISE, P.EN_REDACTION): _UNARCHIVED,
    (C.EN_REDACTION, P.ARCHIVE): _ARCHIVED,
    (C.A_CONTROLER, P.ARCHIVE): _ARCHIVED,
    (C.A_MODIFIER, P.ARCHIVE): _ARCHIVED,
    (C.VISE, P.ARCHIVE): _ARCHIVED,
    (C.INACTIF, P.A_SUPPRIMER): _INACTIVE,
    (C.INACTIF, P.ARCHIVE): _INACTIVE,
    (C.INACTIF, P.EN_REDACTION): _INACTIVE,
}

FICHE: dict[W.EtatFiche, str] = {
    F.CREE: "la fiche suit le circuit habituel : saisie, contrôle, diffusion.",
    F.ARCHIVE: "la fiche n'est plus diffusée ni modifiable ; DESARCHIVER la rend à nouveau modifiable.",
    F.DESARCHIVE: "la fiche a été désarchivée ; elle sera à nouveau diffusée une fois ses sessions mises "
                  "à jour, soumise et validée.",
}


def pair_label(pair: tuple[W.Controle, W.Publication]) -> str:
    return f"{W.LABELS[pair[0]]} / {W.LABELS[pair[1]]}"


def entries() -> list[tuple[str, str]]:
    """The legend: ('À contrôler / Diffusable', its sentence) for each pair, in PAIRS' order."""
    return [(pair_label(pair), text) for pair, text in PAIRS.items()]


def fiche_entries() -> list[tuple[str, str]]:
    """('Archivé', its sentence) for each état de la fiche."""
    return [(W.LABELS[etat], text) for etat, text in FICHE.items()]


def explain(state: W.State) -> str:
    """What this very state means: its pair's sentence, then its état de la fiche's."""
    return f"{PAIRS[(state.controle, state.publication)]} État de la fiche {W.LABELS[state.fiche]} : " \
           f"{FICHE[state.fiche]}"
