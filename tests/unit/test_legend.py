"""The legend of the indicators (backoffice/legend.py) covers every state the workflow's table can
reach: the states are computed here from workflow.TRANSITIONS, not listed by hand."""
from hypothesis import given
from hypothesis import strategies as st

from backoffice import legend
from backoffice import workflow as W


def reachable_states() -> set[W.State]:
    """Every state an action can be in: from the states it is born in (CREER, IMPORTER), each
    event of the table fired by each actor, guards passing (default facts), until nothing new."""
    born = {W.apply(W.Event.CREER, W.INITIAL_STATE, W.Actor.OWNER),
            W.apply(W.Event.IMPORTER, W.INITIAL_STATE, W.Actor.IMPORT)}
    seen, todo = set(born), list(born)
    while todo:
        state = todo.pop()
        for transition in W.TRANSITIONS:
            for actor in W.Actor:
                try:
                    new = W.apply(transition.event, state, actor)
                except W.WorkflowError:
                    continue
                if new not in seen:
                    seen.add(new)
                    todo.append(new)
    return seen


REACHABLE = reachable_states()


def test_the_walk_reaches_the_states_users_report():
    """The walk is not trivially small: it reaches the combinations the app itself produces."""
    C, P, F = W.Controle, W.Publication, W.EtatFiche
    for state in (W.State(C.A_CONTROLER, P.DIFFUSABLE, F.CREE),  # an OF's edit of a visé action
                  W.State(C.A_MODIFIER, P.DIFFUSABLE, F.CREE),  # complétude asked on a diffused action
                  W.State(C.VISE, P.EN_REDACTION, F.DESARCHIVE),  # désarchivée
                  W.State(C.EN_REDACTION, P.ARCHIVE, F.ARCHIVE),  # a draft archived
                  W.State(C.INACTIF, P.A_SUPPRIMER, F.CREE)):
        assert state in REACHABLE
    assert W.State(C.VISE, P.BROUILLON, F.CREE) not in REACHABLE  # never visé without being submitted


def test_every_reachable_state_has_its_sentences():
    """Each reachable (contrôle, publication) pair and each état de la fiche has a legend entry."""
    missing = sorted({f"{W.LABELS[s.controle]} / {W.LABELS[s.publication]}" for s in REACHABLE
                      if (s.controle, s.publication) not in legend.PAIRS})
    assert missing == []
    assert {s.fiche for s in REACHABLE} <= set(legend.FICHE)
    for state in REACHABLE:
        text = legend.explain(state)
        assert legend.PAIRS[(state.controle, state.publication)] in text
        assert W.LABELS[state.fiche] in text


def test_no_sentence_for_a_state_that_cannot_happen():
    """The legend explains what users meet, nothing else (an unreachable pair would confuse)."""
    reachable_pairs = {(s.controle, s.publication) for s in REACHABLE}
    assert set(legend.PAIRS) == reachable_pairs


def test_entries_are_the_labels_users_read():
    """The list renders 'À contrôler / Diffusable' with its sentence, in the legend's order."""
    entries = dict(legend.entries())
    assert entries["À contrôler / Diffusable"].startswith("Vos modifications nous ont été soumises")
    assert "désarchivée" in entries["Visé / En rédaction"]
    assert "archivée" in entries["En rédaction / Archivé"]
    assert len(entries) == len(legend.PAIRS)  # no two pairs read the same
    assert [label for label, _ in legend.fiche_entries()] == [W.LABELS[f] for f in W.EtatFiche]


@given(st.sampled_from(sorted(REACHABLE, key=str)))
def test_explain_reads_as_french_sentences(state):
    """No raw value ('a_controler') in what a user reads; sentences end with a full stop."""
    text = legend.explain(state)
    assert text.endswith(".") and "_" not in text
    for value in (state.controle.value, state.publication.value):
        assert value not in text.split()
