"""The dashboard counters as the users' answers define them, each explained by its « i » bubble.

An action in every state the workflow table can reach is built for one organisme; each counter must count
exactly the actions its definition names (written here from those answers, independently of offer_queries.py):
- « Saisies en cours »: en rédaction / en brouillon, to complete and submit (not archived);
- « Données à modifier »: submitted (à contrôler) or to correct (à modifier), not archived: an action
  « disparaît des Données à modifier » once « contrôlée et mise en diffusion »;
- the documentalistes' control queue: à contrôler, not archived.
Then an action followed through SOUMETTRE and VISER: counted while it waits, gone once diffused. Both databases.
"""
import html
import re
from datetime import date

from sqlalchemy import select

from backoffice import workflow as W
from backoffice.actor import SYSTEM, acting_as
from backoffice.admin_views.help_bubbles import COUNTER_BUBBLES
from backoffice.extensions import db
from backoffice.models import Action
from backoffice.services import offer_queries as oq
from backoffice.services import publication
from tests.conftest import login

TODAY = date(2027, 3, 15)
ACTORS = (W.Actor.OWNER, W.Actor.DOCUMENTALISTE, W.Actor.ROBOT, W.Actor.IMPORT)


def reachable_states() -> set[W.State]:
    """Every state the table reaches from a new or imported action (guards satisfied)."""
    seen, todo = set(), [W.INITIAL_STATE, W.IMPORTED_STATE]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        for actor in ACTORS:
            for event in W.allowed_events(state, actor):
                todo.append(W.apply(event, state, actor))
    return seen


def faq_definition(key: str, s: W.State) -> bool:
    live = s.fiche is not W.EtatFiche.ARCHIVE
    return {
        "toute_offre": True,
        "saisies_en_cours": s.controle is W.Controle.EN_REDACTION and live,
        "donnees_a_modifier": s.controle in (W.Controle.A_CONTROLER, W.Controle.A_MODIFIER) and live,
        "a_controler": s.controle is W.Controle.A_CONTROLER and live,
    }[key]


def _counts(user) -> dict[str, int]:
    return {c.key: c.count for c in oq.counters(db.session, user, TODAY)}


def test_each_counter_counts_what_the_faq_says_in_every_reachable_state(make):
    states = sorted(reachable_states(), key=W.state_label)
    assert len(states) >= 10  # the table's states, archived and inactive ones included
    organisme = make.organisme()
    actions = {state: make.action(organisme, controle=state.controle.value, publication=state.publication.value,
                                  etat_fiche=state.fiche.value) for state in states}
    organisme_user = make.user("organisme", organismes=[organisme])
    documentaliste = make.user("documentaliste")
    mine = _counts(organisme_user)
    listed = {}
    for key in ("toute_offre", "saisies_en_cours", "donnees_a_modifier"):
        expected = {state for state in states if faq_definition(key, state)}
        assert mine[key] == len(expected), (key, sorted(W.state_label(s) for s in expected))
        listed[key] = set(db.session.scalars(oq.apply_named_list(select(Action.id), key, organisme_user, TODAY)))
        assert listed[key] == {actions[s].id for s in expected}, key
    queue = set(db.session.scalars(oq.apply_named_list(select(Action.id), "a_controler", documentaliste, TODAY)
                                   .where(Action.organisme_id == organisme.id)))
    assert queue == {actions[s].id for s in states if faq_definition("a_controler", s)}
    # the complaint: a submitted action (first submission, or a change to a diffused one) is in an
    # organisme counter; only visé, inactive and archived actions are in neither work counter
    for state, action in actions.items():
        counted = action.id in listed["saisies_en_cours"] | listed["donnees_a_modifier"]
        waiting = state.controle in (W.Controle.EN_REDACTION, W.Controle.A_CONTROLER, W.Controle.A_MODIFIER)
        assert counted == (waiting and state.fiche is not W.EtatFiche.ARCHIVE), W.state_label(state)
        if state.controle is W.Controle.A_CONTROLER and state.fiche is not W.EtatFiche.ARCHIVE:
            assert action.id in listed["donnees_a_modifier"], W.state_label(state)


def test_an_action_leaves_donnees_a_modifier_once_vise(make):
    """The users' answer, step by step: submitted, corrected, submitted again, visé and diffused."""
    organisme = make.organisme()
    user = make.user("organisme", organismes=[organisme])
    action = make.action(organisme)
    before = _counts(user)
    assert (before["saisies_en_cours"], before["donnees_a_modifier"]) == (1, 0)
    state = W.INITIAL_STATE
    steps = [(W.Event.SOUMETTRE, W.Actor.OWNER, (0, 1)), (W.Event.DEMANDER_COMPLETUDE, W.Actor.DOCUMENTALISTE, (0, 1)),
             (W.Event.SOUMETTRE, W.Actor.OWNER, (0, 1)), (W.Event.VISER, W.Actor.DOCUMENTALISTE, (0, 0)),
             (W.Event.ENREGISTRER, W.Actor.OWNER, (0, 1)),  # a diffused action changed: controlled again
             (W.Event.VISER, W.Actor.DOCUMENTALISTE, (0, 0))]
    for event, actor, (saisies, donnees) in steps:
        state = W.apply(event, state, actor)
        with acting_as(SYSTEM), db.session.no_autoflush:
            action.controle, action.publication, action.etat_fiche = state.controle, state.publication, state.fiche
            if state.publication is W.Publication.DIFFUSABLE:
                publication.publish(action)  # a diffusable action has its published version (schema.sql)
        db.session.commit()
        got = _counts(user)
        assert (got["saisies_en_cours"], got["donnees_a_modifier"]) == (saisies, donnees), (event, W.state_label(state))


def test_every_counter_has_its_bubble_on_the_dashboard(client, make):
    every_key = set(oq.NAMED_LISTS) | set(oq.ORGANISME_LISTS)
    assert set(COUNTER_BUBBLES) == every_key
    assert all(COUNTER_BUBBLES[key].strip() for key in every_key)
    organisme = make.organisme()
    for role, extra in (("organisme", {"organismes": [organisme]}), ("documentaliste", {}),
                        ("financeur", {})):
        login(client, make.user(role, **extra).identifiant)
        page = client.get("/admin/").get_data(as_text=True)
        rows = re.findall(r'<tr id="compteur-([a-z_0-9]+)">(.*?)</tr>', page, re.S)
        assert rows, role
        for key, row in rows:
            button = re.search(r'<button type="button" class="info-bulle-bouton" id="bulle-compteur-([a-z_0-9]+)-bouton"'
                               r'\s+aria-label="([^"]+)"\s+aria-describedby="bulle-compteur-\1"', row)
            assert button and button.group(1) == key, (role, key)
            assert html.unescape(button.group(2)).startswith("Aide : ")
            text = re.search(rf'<span role="tooltip" id="bulle-compteur-{key}" class="info-bulle-texte">([^<]*)</span>',
                             row)
            assert text and html.unescape(text.group(1)) == COUNTER_BUBBLES[key], (role, key)
        assert "info_bulles.js" in page and "info_bulles.css" in page
        client.post("/deconnexion")
