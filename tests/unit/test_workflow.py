"""The workflow of an action, checked cell by cell without a database.

`expected()` below is written out from the rules (who may fire which button from which
indicators), independently of the table in backoffice/workflow.py: every (state, event, actor)
cell is compared with it.
"""
import ast
import itertools
from pathlib import Path

import pytest

from backoffice import workflow
from backoffice.workflow import (
    EVENT_LABELS,
    INITIAL_STATE,
    LABELS,
    TRANSITIONS,
    Actor,
    Controle,
    EtatFiche,
    Event,
    Facts,
    Publication,
    State,
    WorkflowError,
    allowed_events,
    apply,
    is_read_only_for,
)

C, P, F, E, A = Controle, Publication, EtatFiche, Event, Actor
ALL_STATES = [State(c, p, f) for c, p, f in itertools.product(C, P, F)]
NOT_ALLOWED = "Vous n'avez pas le droit d'effectuer cette opération."
SESSION_TEXT = ("L'action de formation ou le module doit comporter au moins une session, "
                "et celle-ci doit être non archivée.")
CONVENTIONNEE_TEXT = ("Seules les documentalistes du CARIF francilien peuvent pré-créer des "
                      "actions de formation conventionnées.")
NEW = State(C.EN_REDACTION, P.BROUILLON, F.CREE)

# Refusal kinds returned by expected() instead of a state.
FORBIDDEN, LOCKED, WRONG_STATE = "forbidden", "locked", "wrong_state"


def expected(event, s, actor):
    """The rules written out (with the choices documented in workflow.py), default facts."""
    owner_or_doc = actor in (A.OWNER, A.DOCUMENTALISTE)
    inactive = s.controle == C.INACTIF or s.publication == P.A_SUPPRIMER
    archived = s.fiche == F.ARCHIVE
    owner_locked = actor == A.OWNER and inactive
    diffused = s.publication == P.DIFFUSABLE
    if event in (E.CREER, E.DUPLIQUER):
        return NEW if owner_or_doc else FORBIDDEN
    if event == E.ENREGISTRER:
        if not owner_or_doc:
            return FORBIDDEN
        if owner_locked:
            return LOCKED
        if archived:  # DESARCHIVER first
            return WRONG_STATE
        if s.fiche == F.DESARCHIVE:
            return State(C.A_MODIFIER, P.EN_REDACTION, F.CREE)
        if actor == A.OWNER and s.controle == C.VISE:
            return State(C.A_CONTROLER, s.publication, s.fiche)
        return s
    if event == E.SOUMETTRE:
        if not owner_or_doc:
            return FORBIDDEN
        if owner_locked:
            return LOCKED
        if s.controle not in (C.EN_REDACTION, C.A_MODIFIER) or archived or inactive:
            return WRONG_STATE
        return State(C.A_CONTROLER, P.DIFFUSABLE if diffused else P.EN_REDACTION, s.fiche)
    if event == E.VISER:
        if actor != A.DOCUMENTALISTE:
            return FORBIDDEN
        if s.controle != C.A_CONTROLER or archived or inactive:
            return WRONG_STATE
        return State(C.VISE, P.DIFFUSABLE, F.CREE if s.fiche == F.DESARCHIVE else s.fiche)
    if event == E.DEMANDER_COMPLETUDE:
        if actor != A.DOCUMENTALISTE:
            return FORBIDDEN
        if s.controle not in (C.A_CONTROLER, C.VISE) or archived or inactive:
            return WRONG_STATE
        return State(C.A_MODIFIER, s.publication, s.fiche)
    if event == E.ARCHIVER:
        if not (owner_or_doc or actor == A.ROBOT):
            return FORBIDDEN
        if owner_locked or (actor == A.ROBOT and inactive):  # the Robot leaves them to the team
            return LOCKED
        return WRONG_STATE if archived else State(s.controle, P.ARCHIVE, F.ARCHIVE)
    if event == E.DESARCHIVER:
        if not owner_or_doc:
            return FORBIDDEN
        if owner_locked:
            return LOCKED
        return State(s.controle, P.EN_REDACTION, F.DESARCHIVE) if archived else WRONG_STATE
    if event == E.INACTIVER:
        if actor != A.ROBOT:
            return FORBIDDEN
        if s.controle != C.A_MODIFIER:
            return WRONG_STATE
        return State(C.INACTIF, P.A_SUPPRIMER, s.fiche)
    if event == E.REACTIVER:
        if actor != A.DOCUMENTALISTE:
            return FORBIDDEN
        if not inactive:
            return WRONG_STATE
        return State(C.A_MODIFIER, P.ARCHIVE if archived else P.EN_REDACTION, s.fiche)
    if event == E.IMPORTER:  # the feed is a submission: straight to control
        return State(C.A_CONTROLER, P.EN_REDACTION, F.CREE) if actor == A.IMPORT else FORBIDDEN
    if event == E.REIMPORTER:
        if actor != A.IMPORT:
            return FORBIDDEN
        if inactive:
            return LOCKED
        return State(C.A_CONTROLER, P.DIFFUSABLE if diffused else P.EN_REDACTION,
                     F.DESARCHIVE if archived else s.fiche)
    raise AssertionError(f"no expectation for {event}")


def outcome(event, state, actor, facts=Facts()):
    """apply() as a value: the new state, or the WorkflowError raised."""
    try:
        return apply(event, state, actor, facts)
    except WorkflowError as error:
        return error


def matches(result, expectation):
    """Whether an apply() outcome matches an expected() value."""
    if isinstance(expectation, State):
        return result == expectation
    if not isinstance(result, WorkflowError):
        return False
    if expectation == FORBIDDEN:
        return result.message == NOT_ALLOWED
    if expectation == LOCKED:
        return result.message == workflow.LOCKED_MESSAGE
    return result.message.startswith("L'opération « ") and result.message != workflow.LOCKED_MESSAGE


@pytest.mark.parametrize("event", list(E))
@pytest.mark.parametrize("actor", list(A))
def test_every_cell_matches_the_spec(event, actor):
    """apply() agrees with the written-out expectation for all 75 states for this event and actor."""
    wrong = []
    for state in ALL_STATES:
        result, expectation = outcome(event, state, actor), expected(event, state, actor)
        if not matches(result, expectation):
            wrong.append(f"{event} by {actor} from {state}: got {result!r}, want {expectation}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("actor", [A.FINANCEUR, A.SUPPORT, A.ADMIN, A.OTHER_ORGANISME])
def test_outsiders_can_fire_nothing(actor):
    """Financeur, support, admin and another organisme have no event and see no button."""
    for state in ALL_STATES:
        assert allowed_events(state, actor) == []
        assert allowed_events(state, actor, Facts()) == []


def test_allowed_events_match_apply():
    """allowed_events lists exactly the events apply() accepts, with and without facts."""
    facts_cases = [Facts(), Facts(has_active_session=False), Facts(missing_fields=("Intitulé",)),
                   Facts(doublon_of="AF_0000000001"), Facts(conventionnee=True)]
    for state, actor in itertools.product(ALL_STATES, A):
        for facts in facts_cases:
            accepted = [e for e in E
                        if not isinstance(outcome(e, state, actor, facts), WorkflowError)]
            assert allowed_events(state, actor, facts) == accepted, (state, actor, facts)
        assert allowed_events(state, actor) == allowed_events(state, actor, Facts())


def test_allowed_events_ignore_guards_without_facts():
    """Without facts the SOUMETTRE button shows; with failing facts it is hidden."""
    state = State(C.EN_REDACTION, P.BROUILLON, F.CREE)
    assert E.SOUMETTRE in allowed_events(state, A.OWNER)
    assert E.SOUMETTRE not in allowed_events(state, A.OWNER, Facts(has_active_session=False))


@pytest.mark.parametrize("state", ALL_STATES, ids=str)
def test_is_read_only_for(state):
    """Read-only: an archived fiche, OF on Inactif / À supprimer, non-editors always."""
    inactive = state.controle == C.INACTIF or state.publication == P.A_SUPPRIMER
    archived = state.fiche == F.ARCHIVE
    assert is_read_only_for(state, A.OWNER) is (inactive or archived)
    assert is_read_only_for(state, A.DOCUMENTALISTE) is archived
    for actor in (A.OTHER_ORGANISME, A.FINANCEUR, A.SUPPORT, A.ADMIN, A.ROBOT):
        assert is_read_only_for(state, actor) is True


def test_refused_actor_message():
    """An actor outside the row gets the generic French refusal."""
    with pytest.raises(WorkflowError) as info:
        apply(E.VISER, State(C.A_CONTROLER, P.EN_REDACTION, F.CREE), A.OWNER)
    assert info.value.message == NOT_ALLOWED
    assert str(info.value) == NOT_ALLOWED
    assert info.value.event == E.VISER
    assert info.value.details == []


def test_locked_action_tells_the_owner_to_contact_the_team():
    """An OF saving an Inactif / À supprimer action is told to contact the team, at the address the
    caller gives (the configuration's), else without one."""
    locked = State(C.INACTIF, P.A_SUPPRIMER, F.CREE)
    with pytest.raises(WorkflowError) as info:
        apply(E.ENREGISTRER, locked, A.OWNER, team_address="equipe@carif.example")
    assert info.value.message.endswith("Veuillez contacter l'équipe DOKELIO Ile-de-France à equipe@carif.example.")
    with pytest.raises(WorkflowError) as info:
        apply(E.ENREGISTRER, locked, A.OWNER)
    assert info.value.message.endswith("Veuillez contacter l'équipe DOKELIO Ile-de-France.")


def test_wrong_state_message_names_the_state():
    """A refusal because of the state names the button and the current indicators in French."""
    with pytest.raises(WorkflowError) as info:
        apply(E.SOUMETTRE, State(C.A_CONTROLER, P.EN_REDACTION, F.CREE), A.OWNER)
    assert info.value.message == (
        "L'opération « SOUMETTRE » n'est possible que pour une action En rédaction ou "
        "À modifier, non archivée (action À contrôler / En rédaction / Créé).")


@pytest.mark.parametrize("event, state", [
    (E.SOUMETTRE, State(C.A_MODIFIER, P.EN_REDACTION, F.CREE)),
    (E.VISER, State(C.A_CONTROLER, P.EN_REDACTION, F.CREE)),
])
def test_missing_fields_guard(event, state):
    """Empty mandatory fields block SOUMETTRE and VISER and are listed in message and details."""
    with pytest.raises(WorkflowError) as info:
        apply(event, state, A.DOCUMENTALISTE, Facts(missing_fields=("Intitulé", "Objectif")))
    assert info.value.message == ("Les champs obligatoires suivants ne sont pas renseignés : "
                                  "Intitulé, Objectif.")
    assert info.value.details == ["Intitulé", "Objectif"]


@pytest.mark.parametrize("event, state", [
    (E.SOUMETTRE, State(C.EN_REDACTION, P.BROUILLON, F.CREE)),
    (E.VISER, State(C.A_CONTROLER, P.EN_REDACTION, F.CREE)),
])
def test_session_guard_exact_text(event, state):
    """Without a non-archived session SOUMETTRE is refused with the session warning, word for word."""
    actor = A.DOCUMENTALISTE
    with pytest.raises(WorkflowError) as info:
        apply(event, state, actor, Facts(has_active_session=False))
    assert info.value.message == SESSION_TEXT
    assert info.value.details == []


def test_doublon_guard():
    """A doublon cannot be submitted; the message names the existing action."""
    with pytest.raises(WorkflowError) as info:
        apply(E.SOUMETTRE, NEW, A.OWNER, Facts(doublon_of="AF_0000025392"))
    assert info.value.message == ("Cette action est un doublon de AF_0000025392 : une "
                                  "certification = une seule action de formation par organisme.")


def test_all_failed_guards_are_reported_in_order():
    """Missing fields, session and doublon failures are all reported, in that order."""
    facts = Facts(missing_fields=("Contenu",), has_active_session=False, doublon_of="AF_0000000007")
    with pytest.raises(WorkflowError) as info:
        apply(E.SOUMETTRE, NEW, A.OWNER, facts)
    assert info.value.messages == [
        "Les champs obligatoires suivants ne sont pas renseignés : Contenu.",
        SESSION_TEXT,
        "Cette action est un doublon de AF_0000000007 : une certification = une seule action "
        "de formation par organisme.",
    ]
    assert info.value.message == "\n".join(info.value.messages)
    assert info.value.details == ["Contenu"]


def test_state_refusal_comes_before_guards():
    """Guards are not evaluated when the state already forbids the event."""
    with pytest.raises(WorkflowError) as info:
        apply(E.SOUMETTRE, State(C.VISE, P.DIFFUSABLE, F.CREE), A.OWNER,
              Facts(has_active_session=False))
    assert info.value.message.startswith("L'opération « SOUMETTRE »")


@pytest.mark.parametrize("event", [E.CREER, E.DUPLIQUER])
def test_only_documentalists_create_conventionnees(event):
    """An OF may not create (nor copy) a conventionnée action; a documentaliste may."""
    with pytest.raises(WorkflowError) as info:
        apply(event, INITIAL_STATE, A.OWNER, Facts(conventionnee=True))
    assert info.value.message == CONVENTIONNEE_TEXT
    assert apply(event, INITIAL_STATE, A.DOCUMENTALISTE, Facts(conventionnee=True)) == NEW
    assert apply(event, INITIAL_STATE, A.OWNER, Facts(conventionnee=False)) == NEW


def test_unarchive_walkthrough():
    """The DESARCHIVER -> ENREGISTRER -> SOUMETTRE -> VISER path back into diffusion."""
    state = State(C.VISE, P.ARCHIVE, F.ARCHIVE)
    state = apply(E.DESARCHIVER, state, A.OWNER)
    assert state == State(C.VISE, P.EN_REDACTION, F.DESARCHIVE)
    state = apply(E.ENREGISTRER, state, A.OWNER)
    assert state == State(C.A_MODIFIER, P.EN_REDACTION, F.CREE)
    state = apply(E.SOUMETTRE, state, A.OWNER)
    assert state == State(C.A_CONTROLER, P.EN_REDACTION, F.CREE)
    assert apply(E.VISER, state, A.DOCUMENTALISTE) == State(C.VISE, P.DIFFUSABLE, F.CREE)


def test_completude_inactivation_and_reactivation():
    """Demande de complétude, then the Robot's inactivation locks the OF out until réactivation."""
    state = apply(E.DEMANDER_COMPLETUDE, State(C.VISE, P.DIFFUSABLE, F.CREE), A.DOCUMENTALISTE)
    assert state == State(C.A_MODIFIER, P.DIFFUSABLE, F.CREE)
    state = apply(E.INACTIVER, state, A.ROBOT)
    assert state == State(C.INACTIF, P.A_SUPPRIMER, F.CREE)
    assert is_read_only_for(state, A.OWNER)
    state = apply(E.REACTIVER, state, A.DOCUMENTALISTE)
    assert state == State(C.A_MODIFIER, P.EN_REDACTION, F.CREE)
    assert not is_read_only_for(state, A.OWNER)


def test_owner_edit_of_a_vise_action_keeps_it_published():
    """An OF saving a Visé action sends it back to control; partners keep the diffused one."""
    state = apply(E.ENREGISTRER, State(C.VISE, P.DIFFUSABLE, F.CREE), A.OWNER)
    assert state == State(C.A_CONTROLER, P.DIFFUSABLE, F.CREE)
    assert apply(E.VISER, state, A.DOCUMENTALISTE) == State(C.VISE, P.DIFFUSABLE, F.CREE)


def test_state_accepts_database_strings():
    """State built from stored strings equals the enum-built one; unknown values are refused."""
    assert State("vise", "diffusable", "cree") == State(C.VISE, P.DIFFUSABLE, F.CREE)
    assert apply("soumettre", State("en_redaction", "brouillon", "cree"), "documentaliste") \
        == State(C.A_CONTROLER, P.EN_REDACTION, F.CREE)
    with pytest.raises(ValueError):
        State("publie", "diffusable", "cree")


def test_labels_cover_every_value():
    """Every indicator value and every event has its French label."""
    for value in itertools.chain(C, P, F):
        assert LABELS[value]
    assert LABELS[C.A_CONTROLER] == "À contrôler"
    assert LABELS[P.A_SUPPRIMER] == "À supprimer"
    assert LABELS[F.DESARCHIVE] == "Désarchivé"
    assert set(EVENT_LABELS) == set(E)
    assert EVENT_LABELS[E.DEMANDER_COMPLETUDE] == "Demande de complétude"


def test_one_row_per_event():
    """TRANSITIONS has exactly one row per event and names only known guards."""
    assert sorted(t.event for t in TRANSITIONS) == sorted(E)
    assert all(name in workflow.GUARDS for t in TRANSITIONS for name in t.guards)


def test_module_is_pure_python():
    """workflow.py imports neither Flask nor SQLAlchemy and stays under 400 lines."""
    source = Path(workflow.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 400
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert not names & {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_admin"}


def test_all_states_is_the_product_of_the_three_indicators():
    """ALL_STATES holds each of the 75 combinations once, the ones no event reaches included."""
    assert len(workflow.ALL_STATES) == len(set(workflow.ALL_STATES)) == 5 * 5 * 3
    assert set(workflow.ALL_STATES) == set(ALL_STATES)


@pytest.mark.parametrize("event", list(E))
@pytest.mark.parametrize("actor", list(A))
def test_outcomes_are_what_apply_accepts(event, actor):
    """outcomes() maps exactly the states apply() accepts (default facts) to apply's result."""
    accepted = {state: result for state in ALL_STATES
                if not isinstance(result := outcome(event, state, actor), WorkflowError)}
    assert workflow.outcomes(event, actor) == accepted


def test_robot_archives_neither_inactif_nor_a_supprimer():
    """The Robot may archive any non-archived action except those waiting for the team."""
    archivable = workflow.outcomes(E.ARCHIVER, A.ROBOT)
    assert State(C.VISE, P.DIFFUSABLE, F.CREE) in archivable
    assert State(C.A_MODIFIER, P.EN_REDACTION, F.DESARCHIVE) in archivable
    for state in ALL_STATES:
        if state.controle == C.INACTIF or state.publication == P.A_SUPPRIMER:
            assert state not in archivable
            # the team still may (the documentaliste decides)
            assert (E.ARCHIVER in allowed_events(state, A.DOCUMENTALISTE)) is (state.fiche != F.ARCHIVE)


def test_import_walkthrough():
    """Imported, visé, changed by the supplier (still diffused), archived, re-imported: the
    offer comes back Désarchivé and a visa makes it Créé / Diffusable again."""
    state = apply(E.IMPORTER, INITIAL_STATE, A.IMPORT)
    assert state == State(C.A_CONTROLER, P.EN_REDACTION, F.CREE)
    state = apply(E.VISER, state, A.DOCUMENTALISTE)
    state = apply(E.REIMPORTER, state, A.IMPORT)
    assert state == State(C.A_CONTROLER, P.DIFFUSABLE, F.CREE)
    state = apply(E.ARCHIVER, apply(E.VISER, state, A.DOCUMENTALISTE), A.ROBOT)
    state = apply(E.REIMPORTER, state, A.IMPORT)
    assert state == State(C.A_CONTROLER, P.EN_REDACTION, F.DESARCHIVE)
    assert apply(E.VISER, state, A.DOCUMENTALISTE) == State(C.VISE, P.DIFFUSABLE, F.CREE)


@pytest.mark.parametrize("state", [State(C.INACTIF, P.A_SUPPRIMER, F.CREE),
                                   State(C.A_MODIFIER, P.A_SUPPRIMER, F.ARCHIVE)], ids=str)
def test_reimport_of_a_locked_action_is_refused_with_the_team_address(state):
    """The import may not change an Inactif / À supprimer action: the team has the hand."""
    with pytest.raises(WorkflowError) as info:
        apply(E.REIMPORTER, state, A.IMPORT)
    assert info.value.message == workflow.LOCKED_MESSAGE
    assert info.value.event == E.REIMPORTER


def test_the_import_has_no_button_and_no_fiche():
    """Only IMPORTER and REIMPORTER belong to the import, and nobody else may fire them."""
    for state in ALL_STATES:
        assert set(allowed_events(state, A.IMPORT)) <= {E.IMPORTER, E.REIMPORTER}
        assert is_read_only_for(state, A.IMPORT)
        for actor in set(A) - {A.IMPORT}:
            assert not {E.IMPORTER, E.REIMPORTER} & set(allowed_events(state, actor))
