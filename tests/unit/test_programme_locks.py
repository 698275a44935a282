"""The lock policy of a programme as the screen edits it (rules/locks.py): one list of lockable fields with
their French labels, the stored text in the contract's order, forged names named back; and the role
matrix's "programme" resource, the CARIF team's only."""
import pytest

from backoffice import permissions
from backoffice.rules import locks


def test_one_list_of_lockable_fields_with_french_labels():
    """The checklist offers exactly the fields the sessions' lock enforces, each with its label."""
    assert tuple(locks.LOCKABLE_FIELDS) == locks.CONTRACTUAL_FIELDS
    assert locks.LOCKABLE_FIELDS == {"date_debut": "Date de début", "date_fin": "Date de fin",
                                     "duree_totale": "Durée totale (heures)", "heures_centre": "Heures en centre",
                                     "heures_entreprise": "Heures en entreprise"}


@pytest.mark.parametrize("ticked, stored", [
    ([], ""),
    (["date_fin", "date_debut"], "date_debut,date_fin"),
    (["heures_entreprise", "duree_totale", "heures_entreprise"], "duree_totale,heures_entreprise"),
    (list(reversed(locks.CONTRACTUAL_FIELDS)), ",".join(locks.CONTRACTUAL_FIELDS)),
])
def test_lock_policy_text_in_the_contracts_order(ticked, stored):
    """Stored in the contract's order whatever the order the boxes were ticked in; read back the same."""
    assert locks.lock_policy_text(ticked) == stored
    assert locks.parse_lock_policy(stored) == frozenset(ticked)


def test_unknown_lock_fields_named_once_in_the_order_posted():
    assert locks.unknown_lock_fields(["date_debut", "prix", "intitule", "prix"]) == ["prix", "intitule"]
    assert locks.unknown_lock_fields(locks.CONTRACTUAL_FIELDS) == []
    assert locks.unknown_lock_fields(["DATE_DEBUT"]) == ["DATE_DEBUT"]  # a forged name, not a typo to fix


@pytest.mark.parametrize("text, labels", [
    (None, "Aucun"), ("", "Aucun"), ("inconnu", "Aucun"),
    ("date_fin,date_debut", "Date de début, Date de fin"),
    ("heures_centre", "Heures en centre"),
])
def test_lock_policy_labels(text, labels):
    assert locks.lock_policy_labels(text) == labels


def test_programme_screen_is_for_documentalistes_and_administrators():
    """Every verb of the programme screen: documentalistes and administrators, nobody else."""
    verbs = permissions.MATRIX["programme"]
    assert set(verbs) == {"view", "create", "edit", "delete", "export", "history"}
    for verb, roles in verbs.items():
        assert roles == {permissions.DOCUMENTALISTE, permissions.ADMIN}, verb
