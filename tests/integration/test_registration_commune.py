"""Pré-inscription: the seat of the organisme is in or out of Ile-de-France by its commune (from the
commune referential), not by its postal code's digits; a town that does not match its postal code is
a field error, never a perimeter refusal."""
from sqlalchemy import select

from backoffice import rules
from backoffice.extensions import db
from backoffice.models import Organisme
from tests.accounts_helpers import outbox, registration_form


def _register(client, **overrides):
    return client.post("/inscription", data=registration_form(**overrides), content_type="multipart/form-data")


def _organisme():
    return db.session.scalar(select(Organisme).where(Organisme.siret == "73282932000074"))


def test_the_seat_gets_its_commune_and_region(client):
    """94390 Paray-Vieille-Poste: a commune of the Essonne, in the region: registered without a
    justificatif, with its INSEE code and region."""
    response = _register(client, code_postal="94 390", ville="PARAY VIEILLE POSTE")
    assert "Pré-inscription enregistrée" in response.get_data(as_text=True)
    organisme = _organisme()
    assert (organisme.code_postal, organisme.code_insee, organisme.region_code) == ("94390", "91479", rules.IDF_REGION)


def test_a_mistyped_town_is_a_field_error_not_a_refusal(client):
    """A town that is not a commune of the postal code: the message at the town lists the communes;
    no perimeter refusal, no justificatif asked, nothing created."""
    body = _register(client, code_postal="75011", ville="Pariss", foad_uniquement="oui").get_data(as_text=True)
    assert "La ville « Pariss » ne correspond pas au code postal 75011 (Paris)." in body
    assert "Non, vous ne pouvez pas vous référencer" not in body and "vous devez joindre un justificatif" not in body
    assert _organisme() is None and outbox() == []
    body = _register(client, code_postal="99999", ville="Nulle Part").get_data(as_text=True)
    assert "Le code postal 99999 ne correspond à aucune commune." in body


def test_a_seat_in_nantes_is_outside_the_region(client):
    """44000 Nantes (region 52), FOAD only: refused with the perimeter message."""
    body = _register(client, code_postal="44000", ville="Nantes", foad_uniquement="oui").get_data(as_text=True)
    assert "Non, vous ne pouvez pas vous référencer sur DOKELIO Ile-de-France" in body
    assert _organisme() is None
