"""A validated organisme keeps its SIRET and NDA (rules.validated_identity_problems): blanking either on
the fiche organisme is refused at the field, for its own user and for a documentaliste, through the screen
and through the service; a brouillon may still be saved without them, but is not validated so. Both
databases."""
import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.models import EtatOrganisme, History, Organisme
from backoffice.rules.identifiers import NDA_KEPT, SIRET_KEPT
from backoffice.services import carnets
from backoffice.services.errors import ServiceError
from tests.conftest import login
from tests.form_helpers import field_errors, flashed, form_fields


def _fresh(pk) -> Organisme:
    db.session.expire_all()
    return db.session.get(Organisme, pk)


def _fiche(client, organisme) -> tuple[str, dict]:
    url = f"/admin/organismes/edit/?id={organisme.id}"
    return url, form_fields(client.get(url).get_data(as_text=True))


@pytest.mark.parametrize("role", ["organisme", "documentaliste"])
@pytest.mark.parametrize("blanked", [("siret",), ("nda",), ("siret", "nda")])
def test_blanking_siret_or_nda_of_a_validated_organisme_is_refused_at_the_field(client, make, role, blanked):
    organisme = make.organisme()
    siret, nda, version = organisme.siret, organisme.nda, organisme.version_id
    login(client, make.user(role, organismes=[organisme] if role == "organisme" else []).identifiant)
    url, fields = _fiche(client, organisme)
    assert fields["siret"] == [siret] and fields["nda"] == [nda]

    response = client.post(url, data={**fields, "nom_usuel": ["Nouveau nom"], **{name: ["  "] for name in blanked}})

    assert response.status_code == 200  # the form comes back, nothing saved
    page = response.get_data(as_text=True)
    expected = {"siret": SIRET_KEPT, "nda": NDA_KEPT}
    for name in ("siret", "nda"):
        assert (expected[name] in field_errors(page, name)) == (name in blanked)
    assert "Traceback" not in page and "IntegrityError" not in page
    fresh = _fresh(organisme.id)
    assert (fresh.siret, fresh.nda, fresh.nom_usuel, fresh.version_id) == (siret, nda, organisme.nom_usuel, version)


def test_a_validated_organisme_keeps_its_identifiers_through_the_service(make, db_session):
    """The rule is the service's: a caller other than the screen meets it too."""
    organisme = make.organisme()
    documentaliste = make.user("documentaliste")
    organisme.siret, organisme.nda = None, ""
    with pytest.raises(ServiceError) as refused:
        carnets.save_organisme_fiche(db.session, documentaliste, organisme)
    assert refused.value.errors == [("siret", SIRET_KEPT), ("nda", NDA_KEPT)]
    db.session.rollback()
    assert _fresh(organisme.id).siret and _fresh(organisme.id).nda


def test_changing_siret_and_nda_of_a_validated_organisme_is_still_allowed(client, make):
    organisme = make.organisme()
    login(client, make.user("documentaliste").identifiant)
    url, fields = _fiche(client, organisme)
    response = client.post(url, data={**fields, "siret": ["732 829 320 00074"], "nda": ["11 75 99999 75"]})
    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    fresh = _fresh(organisme.id)
    assert (fresh.siret, fresh.nda) == ("73282932000074", "11759999975")


def test_a_brouillon_may_be_saved_without_them_but_is_not_validated_so(client, make):
    organisme = make.organisme(etat=EtatOrganisme.BROUILLON)
    login(client, make.user("documentaliste").identifiant)
    url, fields = _fiche(client, organisme)

    response = client.post(url, data={**fields, "siret": [""], "nda": [""]})

    assert response.status_code == 302, flashed(response.get_data(as_text=True))
    fresh = _fresh(organisme.id)
    assert not fresh.siret and not fresh.nda and fresh.etat == EtatOrganisme.BROUILLON

    refused = client.post("/admin/preinscriptions/valider/", data={"id": organisme.id}, follow_redirects=True)
    messages = " ".join(flashed(refused.get_data(as_text=True)))
    assert "L'organisme ne peut pas encore être validé." in messages
    assert SIRET_KEPT in messages and NDA_KEPT in messages
    assert _fresh(organisme.id).etat == EtatOrganisme.BROUILLON
    assert not db.session.scalars(select(History).where(History.entity == "organisme", History.op == "acte",
                                                        History.entity_key == str(organisme.id))).all()

    url, fields = _fiche(client, organisme)
    completed = client.post(url, data={**fields, "siret": ["73282932000074"], "nda": ["11759999975"]})
    assert completed.status_code == 302, flashed(completed.get_data(as_text=True))
    client.post("/admin/preinscriptions/valider/", data={"id": organisme.id})
    assert _fresh(organisme.id).etat == EtatOrganisme.VALIDE
