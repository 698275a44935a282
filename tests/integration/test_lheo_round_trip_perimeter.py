"""What the product exports, it imports: an offer whose sessions are outside Île-de-France (it came
with a feed the Carif-Oref chose to diffuse) is exported like any visé offer, and the export comes
back whole when imported as a Carif-Oref's feed; imported as an organisme's feed, the perimeter
refuses those sessions, and says so."""
from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.lheo_import import REJET, import_lheo
from backoffice.models import Action
from backoffice.rules.perimeter import PLACE_REQUIRED
from tests.lheo_helpers import assert_valid, enable_partner, publish
from tests.lheo_import_helpers import (
    TIERS,
    another_base,
    identities,
    normalised,
    validate_organismes,
)

OUTSIDE = "Le lieu de formation est situé dans le département {}"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_export_with_sessions_outside_the_region_imports_whole_as_a_carif_feed(app, client, backend, request,
                                                                                   tmp_path):
    """A Breton Carif-Oref's feed imported sans contrôle du périmètre and visé is exported (a place
    without a street line left out, LHEO's address needing one); that export imports into an empty
    base with no rejet under the same option, and exports the same feed; under the organisme's
    rules (default), its Quimper and Rennes sessions and the présentiel one without a place are
    refused, each reported, and the formations left without a session."""
    assert import_lheo(str(TIERS), "carif-bretagne", hors_perimetre=True).counts["actions_creees"] == 3
    validate_organismes()
    for action in db.session.scalars(select(Action)):
        publish(action)
    first = client.get("/lheo/offre.xml", headers=enable_partner(app)).data
    assert_valid(first)
    assert b"<codepostal>29000</codepostal>" in first or b"Quimper" in first
    with another_base(backend, request, tmp_path, "autre") as other:
        refused = import_lheo(BytesIO(first), "copie-organisme")
        perimeter = [p for p in refused.problems if p.gravite == REJET]
        assert [p.message.split(" : ")[0] for p in perimeter if "session ignorée" in p.message] == [
            OUTSIDE.format(29), OUTSIDE.format(29), PLACE_REQUIRED.rstrip("."), OUTSIDE.format(35)]
        assert [p.formation for p in perimeter if "aucune session importable" in p.message] == [
            numero for numero, _origin in identities(first)["formation"]][-2:]
        whole = import_lheo(BytesIO(first), "copie-carif", hors_perimetre=True)
        assert whole.rejets == 0 and whole.counts["formations_rejetees"] == 0, [str(p) for p in whole.problems]
        assert whole.counts["actions_creees"] == len(identities(first)["formation"])
        validate_organismes()
        for action in db.session.scalars(select(Action).where(Action.source == "copie-carif")):
            publish(action)
        for action in db.session.scalars(select(Action).where(Action.source == "copie-organisme")):
            db.session.delete(action)
        db.session.commit()
        second = other.test_client().get("/lheo/offre.xml", headers=enable_partner(other)).data
        assert normalised(second) == normalised(first)
