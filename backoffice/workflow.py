"""The workflow of an action de formation: three indicators and one transition table.

Pure Python: services compute the `Facts` the guards need from the database, call `apply()`
and store the returned `State`. The rules live in `TRANSITIONS`, as data; `apply`,
`allowed_events` and `is_read_only_for` derive from it, so a rule changes in one place.
A row whose behaviour is a choice of ours rather than a constraint says why ("Our choice").
What changes states outside a fiche goes through the table too: the Robot's set-based jobs
select and write `outcomes(event, Actor.ROBOT)`, the LHEO import fires IMPORTER / REIMPORTER.
"""
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum


class Controle(StrEnum):  # Indicateur de contrôle
    EN_REDACTION = "en_redaction"
    A_CONTROLER = "a_controler"
    A_MODIFIER = "a_modifier"
    VISE = "vise"
    INACTIF = "inactif"


class Publication(StrEnum):  # Indicateur de publication
    BROUILLON = "brouillon"
    EN_REDACTION = "en_redaction"
    DIFFUSABLE = "diffusable"
    ARCHIVE = "archive"
    A_SUPPRIMER = "a_supprimer"


class EtatFiche(StrEnum):  # État de la fiche
    CREE = "cree"
    ARCHIVE = "archive"
    DESARCHIVE = "desarchive"


class Event(StrEnum):  # A button of the fiche (or a background job)
    CREER = "creer"
    ENREGISTRER = "enregistrer"
    SOUMETTRE = "soumettre"
    VISER = "viser"
    DEMANDER_COMPLETUDE = "demander_completude"
    ARCHIVER = "archiver"
    DESARCHIVER = "desarchiver"
    INACTIVER = "inactiver"
    REACTIVER = "reactiver"
    DUPLIQUER = "dupliquer"
    IMPORTER = "importer"  # an action created from an LHEO feed
    REIMPORTER = "reimporter"  # the supplier's own content changed on re-import


class Actor(StrEnum):
    """Who fires the event, relative to the action (computed by the caller)."""
    OWNER = "organisme_proprietaire"  # an organisme user attached to the action's organisme
    OTHER_ORGANISME = "organisme_tiers"
    DOCUMENTALISTE = "documentaliste"
    FINANCEUR = "financeur"
    SUPPORT = "support"
    ADMIN = "admin"
    ROBOT = "robot"
    IMPORT = "import_lheo"  # the LHEO import ("Import LHEO" in the history)


@dataclass(frozen=True)
class State:
    controle: Controle
    publication: Publication
    fiche: EtatFiche

    def __post_init__(self):
        # Accept the raw strings stored in the database; fail loudly on an unknown value.
        object.__setattr__(self, "controle", Controle(self.controle))
        object.__setattr__(self, "publication", Publication(self.publication))
        object.__setattr__(self, "fiche", EtatFiche(self.fiche))


@dataclass(frozen=True)
class Facts:
    """What the guards need, computed by the caller from the database."""
    has_active_session: bool = True  # at least one non-archived session
    has_future_session: bool = True  # a non-archived session ending today or later
    missing_fields: tuple[str, ...] = ()  # French labels of empty mandatory fields
    doublon_of: str | None = None  # AF_ numero of the action with the same certification
    conventionnee: bool = False


class WorkflowError(Exception):
    """A refused transition. `message` (French) is shown as is; it joins `messages`, one per
    failed guard in table order; `details` lists the labels of missing mandatory fields."""

    def __init__(self, message: str, event: Event, details: list[str] | None = None,
                 messages: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.event = event
        self.details = list(details or [])
        self.messages = list(messages or [message])


INITIAL_STATE = State(Controle.EN_REDACTION, Publication.BROUILLON, EtatFiche.CREE)
IMPORTED_STATE = State(Controle.A_CONTROLER, Publication.EN_REDACTION, EtatFiche.CREE)
# Every combination of the three indicators, reachable or not (the database CHECKs only each one).
ALL_STATES: tuple[State, ...] = tuple(State(*values) for values in
                                      itertools.product(Controle, Publication, EtatFiche))

LABELS: dict[str, str] = {
    Controle.EN_REDACTION: "En rédaction",
    Controle.A_CONTROLER: "À contrôler",
    Controle.A_MODIFIER: "À modifier",
    Controle.VISE: "Visé",
    Controle.INACTIF: "Inactif",
    Publication.BROUILLON: "Brouillon",
    Publication.EN_REDACTION: "En rédaction",  # same key as Controle.EN_REDACTION, same label
    Publication.DIFFUSABLE: "Diffusable",
    Publication.ARCHIVE: "Archivé",
    Publication.A_SUPPRIMER: "À supprimer",
    EtatFiche.CREE: "Créé",
    EtatFiche.ARCHIVE: "Archivé",  # same key as Publication.ARCHIVE, same label
    EtatFiche.DESARCHIVE: "Désarchivé",
}

EVENT_LABELS: dict[Event, str] = {
    Event.CREER: "Créer",
    Event.ENREGISTRER: "ENREGISTRER",
    Event.SOUMETTRE: "SOUMETTRE",
    Event.VISER: "VISER",
    Event.DEMANDER_COMPLETUDE: "Demande de complétude",
    Event.ARCHIVER: "ARCHIVER",
    Event.DESARCHIVER: "DESARCHIVER",
    Event.INACTIVER: "Inactivation",  # no button: the Robot's job
    Event.REACTIVER: "Réactiver",
    Event.DUPLIQUER: "DUPLIQUER",
    Event.IMPORTER: "Import",  # no button: the LHEO import
    Event.REIMPORTER: "Mise à jour par import",
}

NOT_ALLOWED_MESSAGE = "Vous n'avez pas le droit d'effectuer cette opération."
LOCKED_MESSAGE = ("Cette action de formation est inactive / à supprimer : vous n'avez pas la "
                  "main pour la modifier. Veuillez contacter l'équipe DOKELIO Ile-de-France.")
CONVENTIONNEE_MESSAGE = ("Seules les documentalistes du CARIF francilien peuvent pré-créer "
                         "des actions de formation conventionnées.")
MISSING_FIELDS_MESSAGE = "Les champs obligatoires suivants ne sont pas renseignés : "
SESSION_MESSAGE = ("L'action de formation ou le module doit comporter au moins une session, "
                   "et celle-ci doit être non archivée.")
PAST_SESSIONS_MESSAGE = ("Toutes les sessions de l'action de formation sont passées : créez une session "
                         "à venir ou mettez à jour les dates d'une session (onglet SESSION) avant de la "
                         "soumettre.")
ARCHIVED_SAVE_MESSAGE = ("Cette action de formation est archivée : elle ne peut pas être modifiée. "
                         "Désarchivez-la (bouton DESARCHIVER) pour la reprendre.")
DOUBLON_MESSAGE = ("Cette action est un doublon de {numero} : une certification = une seule "
                   "action de formation par organisme.")


def locked_message(team_address: str = "") -> str:
    """LOCKED_MESSAGE, with the team's address when the caller gives it (the configuration's:
    services.mail.team_address(); this module reads no configuration)."""
    return f"{LOCKED_MESSAGE[:-1]} à {team_address}." if team_address else LOCKED_MESSAGE


def state_label(state: State) -> str:
    """'À contrôler / Diffusable / Créé': the three indicators as the user reads them."""
    return " / ".join(LABELS[v] for v in (state.controle, state.publication, state.fiche))


def is_locked(state: State) -> bool:
    """Inactif or À supprimer: the organisme no longer has its hand on the action."""
    return state.controle is Controle.INACTIF or state.publication is Publication.A_SUPPRIMER


# ---- guards: name -> check(facts, actor) returning (message, details) or None ----

Failure = tuple[str, list[str]] | None


def _mandatory_fields(facts: Facts, actor: Actor) -> Failure:
    labels = list(facts.missing_fields)
    return (MISSING_FIELDS_MESSAGE + ", ".join(labels) + ".", labels) if labels else None


def _active_session(facts: Facts, actor: Actor) -> Failure:
    return None if facts.has_active_session else (SESSION_MESSAGE, [])


def _future_session(facts: Facts, actor: Actor) -> Failure:
    # Without any active session, _active_session already says what to do: one message, not two.
    past = facts.has_active_session and not facts.has_future_session
    return (PAST_SESSIONS_MESSAGE, []) if past else None


def _not_doublon(facts: Facts, actor: Actor) -> Failure:
    return (DOUBLON_MESSAGE.format(numero=facts.doublon_of), []) if facts.doublon_of else None


def _owner_non_conventionnee(facts: Facts, actor: Actor) -> Failure:
    return (CONVENTIONNEE_MESSAGE, []) if actor is Actor.OWNER and facts.conventionnee else None


GUARDS: dict[str, Callable[[Facts, Actor], Failure]] = {
    "champs_obligatoires": _mandatory_fields,
    "session_non_archivee": _active_session,
    "pas_de_doublon": _not_doublon,
    "session_a_venir": _future_session,
    "non_conventionnee_pour_organisme": _owner_non_conventionnee,
}
SUBMIT_GUARDS = ("champs_obligatoires", "session_non_archivee", "session_a_venir", "pas_de_doublon")


# ---- the table ----

@dataclass(frozen=True)
class Transition:
    event: Event
    actors: frozenset[Actor]
    allowed_from: Callable[[State], bool]
    allowed_from_text: str  # completes "… n'est possible que …" in the refusal message
    result: Callable[[State, Actor], State]
    guards: tuple[str, ...] = ()
    locked_for: frozenset[Actor] = frozenset()  # refused on Inactif / À supprimer (LOCKED_MESSAGE)


def _workable(state: State) -> bool:
    """Not archived, not À supprimer: the only states in which control moves on."""
    return state.fiche is not EtatFiche.ARCHIVE and state.publication is not Publication.A_SUPPRIMER


def _saved(state: State, actor: Actor) -> State:
    if state.fiche is EtatFiche.DESARCHIVE:  # Visé / En rédaction / Désarchivé -> À modifier: control again
        return State(Controle.A_MODIFIER, Publication.EN_REDACTION, EtatFiche.CREE)
    if actor is Actor.OWNER and state.controle is Controle.VISE:
        # Back to control; publication untouched: partners keep the last visé version.
        return replace(state, controle=Controle.A_CONTROLER)
    return state


def _submitted(state: State, actor: Actor) -> State:
    publication = (Publication.DIFFUSABLE if state.publication is Publication.DIFFUSABLE
                   else Publication.EN_REDACTION)
    return replace(state, controle=Controle.A_CONTROLER, publication=publication)


def _vise(state: State, actor: Actor) -> State:
    fiche = EtatFiche.CREE if state.fiche is EtatFiche.DESARCHIVE else state.fiche
    return State(Controle.VISE, Publication.DIFFUSABLE, fiche)


def _reimported(state: State, actor: Actor) -> State:
    fiche = EtatFiche.DESARCHIVE if state.fiche is EtatFiche.ARCHIVE else state.fiche
    return replace(_submitted(state, actor), fiche=fiche)


def _reactivated(state: State, actor: Actor) -> State:
    # Our choice: an archived fiche stays archived (publication Archivé): réactiver gives the
    # organisme its hand back, it does not put the offer online again.
    archived = state.fiche is EtatFiche.ARCHIVE
    return replace(state, controle=Controle.A_MODIFIER,
                   publication=Publication.ARCHIVE if archived else Publication.EN_REDACTION)


OWNER_AND_DOC = frozenset({Actor.OWNER, Actor.DOCUMENTALISTE})
DOC = frozenset({Actor.DOCUMENTALISTE})
OWNER = frozenset({Actor.OWNER})
IMPORT = frozenset({Actor.IMPORT})

TRANSITIONS: tuple[Transition, ...] = (
    # The state given is ignored: the result is the state of the new action.
    Transition(Event.CREER, OWNER_AND_DOC, lambda s: True, "à tout moment",
               lambda s, a: INITIAL_STATE, ("non_conventionnee_pour_organisme",)),
    # Our choice: not on an archived fiche (ARCHIVED_SAVE_MESSAGE): DESARCHIVER first, so that
    # what is changed is then controlled again before it is diffused.
    Transition(Event.ENREGISTRER, OWNER_AND_DOC, lambda s: s.fiche is not EtatFiche.ARCHIVE,
               "pour une action non archivée", _saved, locked_for=OWNER),
    # Our choice: not on an archived fiche nor À supprimer (désarchiver / réactiver first), so
    # that the control queue only holds offers that can go online. Neither SOUMETTRE nor VISER
    # with only past sessions (session_a_venir): diffused, the Robot would soon archive it again.
    Transition(Event.SOUMETTRE, OWNER_AND_DOC,
               lambda s: (s.controle in (Controle.EN_REDACTION, Controle.A_MODIFIER)
                          and _workable(s)),
               "pour une action En rédaction ou À modifier, non archivée",
               _submitted, SUBMIT_GUARDS, locked_for=OWNER),
    # Never on an archived fiche: it would be diffused while archived.
    Transition(Event.VISER, DOC,
               lambda s: s.controle is Controle.A_CONTROLER and _workable(s),
               "pour une action À contrôler, non archivée", _vise, SUBMIT_GUARDS),
    # Publication unchanged: a diffusable action stays online with its last visé content.
    # Our choice: not on an archived fiche (nothing online to correct).
    Transition(Event.DEMANDER_COMPLETUDE, DOC,
               lambda s: s.controle in (Controle.A_CONTROLER, Controle.VISE) and _workable(s),
               "pour une action À contrôler ou Visé, non archivée",
               lambda s, a: replace(s, controle=Controle.A_MODIFIER)),
    # Our choice: the Robot leaves Inactif / À supprimer actions alone: they wait for the
    # team (réactiver or delete), and archiving would replace À supprimer by Archivé.
    Transition(Event.ARCHIVER, frozenset({Actor.OWNER, Actor.DOCUMENTALISTE, Actor.ROBOT}),
               lambda s: s.fiche is not EtatFiche.ARCHIVE, "pour une action non archivée",
               lambda s, a: replace(s, publication=Publication.ARCHIVE, fiche=EtatFiche.ARCHIVE),
               locked_for=frozenset({Actor.OWNER, Actor.ROBOT})),
    # The caller then asks "Souhaitez-vous gérer vos sessions ?". Like every change, refused to
    # the OF on Inactif / À supprimer (the team has the hand).
    Transition(Event.DESARCHIVER, OWNER_AND_DOC,
               lambda s: s.fiche is EtatFiche.ARCHIVE, "pour une action archivée",
               lambda s, a: replace(s, publication=Publication.EN_REDACTION,
                                    fiche=EtatFiche.DESARCHIVE),
               locked_for=OWNER),
    # The 120 days since the demande de complétude are checked by the job's query.
    Transition(Event.INACTIVER, frozenset({Actor.ROBOT}),
               lambda s: s.controle is Controle.A_MODIFIER, "pour une action À modifier",
               lambda s, a: replace(s, controle=Controle.INACTIF,
                                    publication=Publication.A_SUPPRIMER)),
    Transition(Event.REACTIVER, DOC, is_locked, "pour une action Inactif / À supprimer",
               _reactivated),
    # Any state, Inactif included: the copy is a new action. An organisme may not copy a
    # conventionnée action: the copy would be a conventionnée created by an OF (see CREER).
    Transition(Event.DUPLIQUER, OWNER_AND_DOC, lambda s: True, "à tout moment",
               lambda s, a: INITIAL_STATE, ("non_conventionnee_pour_organisme",)),
    # The state given is ignored. Our choice: the feed is the supplier's submission, so the
    # new action goes straight to the control queue; no submit guard, the import keeps what the
    # feed gives (VISER checks the mandatory fields and the session).
    Transition(Event.IMPORTER, IMPORT, lambda s: True, "à tout moment",
               lambda s, a: IMPORTED_STATE),
    # Fired only when the supplier's own content changed. Our choice: refused on Inactif /
    # À supprimer (the team has the hand; the import reports LOCKED_MESSAGE). Otherwise as
    # SOUMETTRE: À contrôler, a Diffusable action stays Diffusable (partners keep the visé
    # version until the next visa), Brouillon -> En rédaction; an archived fiche becomes
    # En rédaction / Désarchivé (the supplier offers it again) and VISER makes it Créé.
    Transition(Event.REIMPORTER, IMPORT, lambda s: True, "à tout moment", _reimported,
               locked_for=IMPORT),
)

TRANSITION_BY_EVENT: dict[Event, Transition] = {t.event: t for t in TRANSITIONS}


# ---- derived API ----

def _refusal(transition: Transition, state: State, actor: Actor, team_address: str = "") -> str | None:
    """Why `actor` may not fire the transition from `state` (guards aside), or None."""
    if actor not in transition.actors:
        return NOT_ALLOWED_MESSAGE
    if actor in transition.locked_for and is_locked(state):
        return locked_message(team_address)
    if not transition.allowed_from(state):
        return (f"L'opération « {EVENT_LABELS[transition.event]} » n'est possible que "
                f"{transition.allowed_from_text} (action {state_label(state)}).")
    return None


def _guard_failures(transition: Transition, actor: Actor, facts: Facts) -> list[Failure]:
    failures = (GUARDS[name](facts, actor) for name in transition.guards)
    return [failure for failure in failures if failure is not None]


def apply(event: Event, state: State, actor: Actor, facts: Facts = Facts(), team_address: str = "") -> State:
    """The state after `actor` fires `event` on an action in `state`.

    Raises WorkflowError (French message) when the actor may not fire it, when the
    state does not allow it, or when guards fail (all failed guards are reported). A refusal
    on an Inactif / À supprimer action gives `team_address` to write to, when given.
    """
    transition, actor = TRANSITION_BY_EVENT[Event(event)], Actor(actor)
    refusal = _refusal(transition, state, actor, team_address)
    if refusal:
        raise WorkflowError(refusal, transition.event)
    failures = _guard_failures(transition, actor, facts)
    if failures:
        messages = [message for message, _ in failures]
        details = [label for _, labels in failures for label in labels]
        raise WorkflowError("\n".join(messages), transition.event, details, messages)
    return transition.result(state, actor)


def allowed_events(state: State, actor: Actor, facts: Facts | None = None) -> list[Event]:
    """Events `actor` may fire from `state`, in table order (guards ignored if facts is None)."""
    actor = Actor(actor)
    return [t.event for t in TRANSITIONS
            if _refusal(t, state, actor) is None
            and (facts is None or not _guard_failures(t, actor, facts))]


def is_read_only_for(state: State, actor: Actor) -> bool:
    """True when `actor` may not save the fiche: derived from the ENREGISTRER row."""
    return _refusal(TRANSITION_BY_EVENT[Event.ENREGISTRER], state, Actor(actor)) is not None


def outcomes(event: Event, actor: Actor, facts: Facts = Facts()) -> dict[State, State]:
    """{state: apply(event, state, actor, facts)} for every state that apply() accepts: what a
    set-based job (the Robot's SQL) selects, and the state it writes for each."""
    accepted = {}
    for state in ALL_STATES:
        try:
            accepted[state] = apply(event, state, actor, facts)
        except WorkflowError:
            continue
    return accepted
