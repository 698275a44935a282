"""Financeur role end to end: a read-only view of the conventionnées actions (and their sessions) of
the financeur's own programmes; never another financeur's, never a non-conventionnée action."""
import csv
import io

from tests.conftest import login


def _ids_in(body: str, records) -> set[str]:
    return {r.numero for r in records if r.numero in body}


def test_financeur_sees_only_its_conventionnees_read_only(client, make):
    """List, fiche, sessions and CSV export show only the conventionnées actions of the financeur's
    programmes; other actions answer 404; create, edit and delete are refused and change nothing."""
    region, pole_emploi = "2", "4"
    mine = make.programme(financeur_code=region)
    theirs = make.programme(financeur_code=pole_emploi)
    organisme = make.organisme()
    visible = make.action(organisme, conventionnee=True, programme=mine, intitule="Conventionnée Région")
    other = make.action(organisme, conventionnee=True, programme=theirs, intitule="Conventionnée Pôle emploi")
    free = make.action(organisme, intitule="Non conventionnée")
    sessions = {a.numero: make.session(a) for a in (visible, other, free)}
    login(client, make.user("financeur", financeur_code=region).identifiant)

    listing = client.get("/admin/actions/")
    assert listing.status_code == 200
    assert _ids_in(listing.get_data(as_text=True), [visible, other, free]) == {visible.numero}
    assert client.get(f"/admin/actions/details/?id={visible.id}").status_code == 200
    for hidden in (other, free):
        assert client.get(f"/admin/actions/details/?id={hidden.id}").status_code == 404
        assert client.get(f"/admin/sessions/details/?id={sessions[hidden.numero].id}").status_code == 404
    session_list = client.get("/admin/sessions/").get_data(as_text=True)
    assert _ids_in(session_list, list(sessions.values())) == {sessions[visible.numero].numero}

    export = client.get("/admin/actions/export/csv/")
    assert export.status_code == 200
    cells = {c for row in csv.reader(io.StringIO(export.get_data(as_text=True), newline=""), delimiter=";")
             for c in row}
    assert visible.numero in cells and not {other.numero, free.numero} & cells

    for url in ("/admin/actions/new/", f"/admin/actions/edit/?id={visible.id}",
                f"/admin/sessions/edit/?id={sessions[visible.numero].id}"):
        assert client.get(url).status_code in (302, 403), url
    client.post(f"/admin/actions/edit/?id={visible.id}", data={"intitule": "Modifiée par un financeur"})
    client.post("/admin/actions/delete/", data={"id": visible.id})
    assert client.get(f"/admin/actions/details/?id={visible.id}").status_code == 200
    assert "Conventionnée Région" in client.get("/admin/actions/").get_data(as_text=True)
    for url in ("/admin/organismes/", "/admin/contacts/", "/admin/support/", "/admin/preinscriptions/"):
        assert client.get(url).status_code == 403, url
