"""The history reads like a story: the person who acted (name and organisme) or the Robot, the
fields under the labels of the screens, codes under their labels, times in Paris; the journal
filters by record and by author."""
import html
import json
import re
from datetime import date, datetime

from sqlalchemy import update

from backoffice import workflow as W
from backoffice.actor import Actor, acting_as
from backoffice.extensions import db
from backoffice.models import History, Niveau
from jobs import robot
from tests.conftest import login
from tests.form_helpers import flashed, form_fields


def _rows(page: str) -> list[dict[str, str]]:
    """The history table as dicts: header -> cell text."""
    head = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th>(.*?)</th>", page, re.S)]
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows.append(dict(zip(head, cells, strict=False)))
    return rows


def _at(entity: str, key, when: datetime) -> None:
    """Put a record's history rows at a known UTC instant (what the listener stored is 'now')."""
    db.session.execute(update(History).where(History.entity == entity, History.entity_key == str(key))
                       .values(at=when))
    db.session.commit()


def test_an_edit_by_a_person_reads_with_labels_paris_time_and_the_persons_name(client, make):
    organisme = make.organisme(nom_usuel="Atelier Soudure")
    contact = make.contact(organisme, nom="Martin", diffusable=True)
    user = make.user("organisme", organismes=[organisme], prenom="Jeanne", nom="Rivière")
    login(client, user.identifiant)
    url = f"/admin/contacts/edit/?id={contact.id}"
    fields = {k: v for k, v in form_fields(client.get(url).get_data(as_text=True)).items() if k != "diffusable"}
    saved = client.post(url, data={**fields, "nom": ["Marten"]})
    assert saved.status_code == 302, flashed(saved.get_data(as_text=True))
    _at("contact", contact.id, datetime(2027, 7, 14, 21, 5, 9, 123456))  # 23:05 in Paris (summer time)

    page = client.get(f"/admin/historique/contacts/{contact.id}").get_data(as_text=True)
    rows = _rows(page)
    changes = {r["Champ"]: r for r in rows if r["Opération"] == "Modification"}
    assert changes["Nom"]["Ancienne valeur"] == "Martin" and changes["Nom"]["Nouvelle valeur"] == "Marten", rows
    assert changes["Diffusable"]["Ancienne valeur"] == "Oui" and changes["Diffusable"]["Nouvelle valeur"] == "Non"
    for row in changes.values():
        assert row["Auteur"] == "Jeanne Rivière (Atelier Soudure)"
        assert row["Date (heure de Paris)"] == "14/07/2027 23:05"
    # no column name, no UTC time, no microseconds, no role label in place of the person
    assert "diffusable" not in [r["Champ"] for r in rows] and "21:05" not in page and "123456" not in page
    assert not [r for r in rows if r["Auteur"] == "Organisme de formation"]

    # the author filter keeps that person's rows only (the creation was the system's)
    mine = _rows(client.get(f"/admin/historique/contacts/{contact.id}",
                            query_string={"auteur": "Jeanne Rivière (Atelier Soudure)"}).get_data(as_text=True))
    assert mine and {r["Auteur"] for r in mine} == {"Jeanne Rivière (Atelier Soudure)"} and len(mine) < len(rows)


def test_codes_and_states_read_as_their_labels(client, make):
    """A change of indicator and of a coded field shows the labels, not 'a_modifier' or '4'."""
    action = make.action(niveau_sortie_code="4")
    documentaliste = make.user("documentaliste", prenom="Claire", nom="Martin")
    db.session.refresh(action)  # the old values, which the history row records
    with acting_as(Actor(documentaliste.id, "Documentaliste")):
        action.controle, action.niveau_sortie_code, action.vise_le = W.Controle.A_MODIFIER, "3", date(2027, 1, 4)
        db.session.commit()
    login(client, documentaliste.identifiant)
    rows = _rows(client.get(f"/admin/historique/actions/{action.id}").get_data(as_text=True))
    changes = {r["Champ"]: r for r in rows if r["Opération"] == "Modification"}
    assert (changes["Indicateur de contrôle"]["Ancienne valeur"],
            changes["Indicateur de contrôle"]["Nouvelle valeur"]) == ("En rédaction", "À modifier"), rows
    assert (changes["Niveau de sortie"]["Ancienne valeur"], changes["Niveau de sortie"]["Nouvelle valeur"]) == (
        str(db.session.get(Niveau, "4")), str(db.session.get(Niveau, "3")))
    assert changes["Visé le"]["Nouvelle valeur"] == "04/01/2027"
    assert changes["Niveau de sortie"]["Auteur"] == "Claire Martin (Documentaliste)"


def test_a_transition_by_the_robot_reads_as_the_robots(client, make):
    organisme = make.organisme()
    action = make.action(organisme, publication="diffusable", controle="vise")
    make.session(action, date_debut=date(2026, 1, 5))  # ended in April 2026: archived by 2027
    assert robot.archive_due_actions(date(2027, 3, 1))["archivees"] == 1
    _at("action", action.id, datetime(2027, 3, 1, 1, 30))  # 02:30 in Paris (winter time)

    login(client, make.user("documentaliste").identifiant)
    rows = _rows(client.get(f"/admin/historique/actions/{action.id}").get_data(as_text=True))
    transition = next(r for r in rows if r["Opération"] == "Changement d'état")
    assert transition["Auteur"] == "Robot"
    assert transition["Champ"] == "Indicateurs (contrôle / publication / fiche)"
    assert transition["Ancienne valeur"] == "Visé / Diffusable / Créé"
    assert transition["Nouvelle valeur"] == "Visé / Archivé / Archivé"
    assert transition["Date (heure de Paris)"] == "01/03/2027 02:30"


def test_the_journal_filters_by_record_and_by_author(client, make):
    organisme = make.organisme(nom_usuel="Atelier Soudure")
    first, second = make.action(organisme), make.action(organisme)
    user = make.user("organisme", organismes=[organisme], prenom="Jeanne", nom="Rivière")
    with acting_as(Actor(user.id, "Organisme de formation")):
        first.objectif = "Souder à l'arc"
        db.session.commit()
    login(client, make.user("documentaliste").identifiant)
    journal = client.get("/admin/journal/").get_data(as_text=True)
    numero_filter = _filter_arg(journal, "Identifiant", ("vaut", "égal à"))
    author_filter = _filter_arg(journal, "Auteur", ("contient",))

    by_record = client.get("/admin/journal/", query_string={numero_filter: second.numero}).get_data(as_text=True)
    assert second.numero in by_record and first.numero not in by_record
    by_author = client.get("/admin/journal/", query_string={author_filter: "Rivière"}).get_data(as_text=True)
    assert "Jeanne Rivière (Atelier Soudure)" in by_author and first.numero in by_author
    assert second.numero not in by_author and "Objectif" in by_author
    by_organisme = client.get("/admin/journal/", query_string={author_filter: "Soudure"}).get_data(as_text=True)
    assert first.numero in by_organisme and second.numero not in by_organisme


def _filter_arg(page: str, label: str, operations: tuple[str, ...]) -> str:
    """The query argument of the list filter `label` with one of `operations`: flt0_<arg>."""
    data = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S)
    assert data, "no filters on the page"
    groups = json.loads(html.unescape(data.group(1)))
    assert label in groups, sorted(groups)
    arg = next(f["arg"] for f in groups[label] if f["operation"] in operations)
    return f"flt0_{arg}"
