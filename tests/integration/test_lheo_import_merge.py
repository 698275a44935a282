"""LHEO re-import is a merge: a documentaliste's edits and the visa survive an unchanged feed, a
supplier's change goes to control with its diff, nothing the feed stops carrying is blanked, and
a strict import writes nothing when something was rejected. Files: tests/data/lheo."""
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.lheo_import import REJET, import_lheo
from backoffice.models import Action, Adresse, Contact, History, Organisme, Session
from backoffice.services import organisme_publication, publication
from backoffice.services.actions import save_action, vise_action
from tests.lheo_helpers import enable_partner
from tests.lheo_import_helpers import RICHE, TIERS, history_count, prepare_riche_referential, validate_organismes

SOURCE = "atelier-est"


def _import(document: bytes | None = None, **kw):
    return import_lheo(BytesIO(document if document is not None else RICHE.read_bytes()), SOURCE, **kw)


def _riche(*replacements: tuple[str, str]) -> bytes:
    """The rich file with some of its text replaced (each replaced text must be in it)."""
    text = RICHE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def _action(numero: str = "F-RICHE-1") -> Action:
    return db.session.scalar(select(Action).where(Action.source == SOURCE, Action.identifiant_externe == numero))


def _visa_everything(make):
    validate_organismes()
    documentaliste = make.user("documentaliste")
    for action in db.session.scalars(select(Action).order_by(Action.numero)).all():
        vise_action(db.session, documentaliste, action)
    return documentaliste


def _state(action) -> tuple:
    return action.controle, action.publication, action.etat_fiche


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def imported(app, make):
    """The rich file imported and visé; returns the documentaliste who visa'd it."""
    prepare_riche_referential()
    report = _import()
    assert report.rejets == 0, [str(p) for p in report.problems]
    return _visa_everything(make)


def _documentaliste_edits(documentaliste) -> Action:
    """A documentaliste fills in niveau de sortie, public visé and conditions, and saves (a
    documentaliste's save of a Visé action publishes it)."""
    action = _action()
    action.niveau_sortie_code = "14"
    action.public_vise = "Public défini par la documentaliste"
    action.conditions_specifiques = "Entretien et tests écrits"
    save_action(db.session, documentaliste, action)
    assert _state(action) == ("vise", "diffusable", "cree")
    return action


def test_reimport_keeps_the_documentalistes_values_and_the_visa(imported, backend):
    """Re-importing the same file after a documentaliste's edits keeps her values and the visa:
    nothing applied, no history row, Modifié le untouched."""
    action = _documentaliste_edits(imported)
    history, stamp, version = history_count(), action.updated_at, action.version_publiee
    report = _import()
    assert report.rejets == 0 and report.changed == 0, report.summary()
    assert report.counts["actions_inchangees"] == 3
    db.session.expire_all()
    action = _action()
    assert (action.niveau_sortie_code, action.public_vise, action.conditions_specifiques) == (
        "14", "Public défini par la documentaliste", "Entretien et tests écrits")
    assert _state(action) == ("vise", "diffusable", "cree")
    assert (action.updated_at, action.version_publiee) == (stamp, version)
    assert history_count() == history


def test_a_supplier_change_goes_to_control_with_its_diff(imported, app, client, backend):
    """The supplier changes the objective and a price: the action goes back to À contrôler (still
    Diffusable: partners keep the visé version), the transition is in the history by the import,
    the documentaliste's diff shows both changes, and her own edits survive."""
    action = _documentaliste_edits(imported)
    old_objectif = action.objectif
    changed = _riche(("Réparer les éléments de carrosserie : redressage",
                      "Réparer et peindre les éléments de carrosserie : redressage"),
                     ("<prix-total-TTC>9800</prix-total-TTC>", "<prix-total-TTC>9900</prix-total-TTC>"))
    report = _import(changed)
    assert report.rejets == 0 and report.counts["actions_mises_a_jour"] == 1, report.summary()
    assert report.counts["sessions_mises_a_jour"] == 2 and report.counts["actions_inchangees"] == 2
    db.session.expire_all()
    action = _action()
    assert _state(action) == ("a_controler", "diffusable", "cree") and action.soumis_le is not None
    assert action.objectif.startswith("Réparer et peindre") and action.niveau_sortie_code == "14"
    assert _state(_action("F-RICHE-2")) == ("vise", "diffusable", "cree")
    transition = db.session.scalars(select(History).where(History.entity == "action", History.op == "transition",
                                                          History.entity_key == str(action.id))
                                    .order_by(History.id)).all()[-1]
    assert (transition.old_value, transition.new_value, transition.actor_label, transition.message) == (
        "Visé / Diffusable / Créé", "À contrôler / Diffusable / Créé", "Import LHEO", "Mise à jour par import")
    rows = publication.diff(publication.published(action), publication.snapshot(action))
    assert ("Action", "objectif", old_objectif, action.objectif) in rows
    assert sorted((section, old, new) for section, key, old, new in rows if key == "prix_total_ttc") == sorted(
        (f"Session {s.numero}", "9800.00", "9900.00") for s in action.sessions if s.identifiant_externe.startswith(
            "S-APPR"))
    feed = client.get("/lheo/offre.xml", headers=enable_partner(app)).data.decode()
    assert old_objectif.replace("&", "&amp;") in feed and "Réparer et peindre" not in feed
    assert "<prix-total-TTC>9800</prix-total-TTC>" in feed


def test_what_the_feed_no_longer_says_is_not_blanked(imported, backend):
    """A value the feed stops carrying is kept; a session it no longer holds is archived, and
    comes back when the feed offers it again; a session rejected this time is left as it is."""
    without_url = _riche(("""      <url-formation>
        <urlweb>https://atelier-est.example.org/formations/cap-carrosserie</urlweb>
      </url-formation>
""", ""))
    start = without_url.index(b'<session numero="S-APPR-2">')
    end = without_url.index(b"</session>", start) + len(b"</session>")
    reduced = (without_url[:start] + without_url[end:]).replace(b"<debut>20270900</debut>", b"<debut>20280900</debut>")
    report = _import(reduced)
    assert report.counts["sessions_archivees"] == 1 and report.counts["sessions_rejetees"] == 1
    assert [p.formation for p in report.problems if p.gravite == REJET] == ["F-RICHE-1"]
    db.session.expire_all()
    action = _action()
    assert action.url_formation == "https://atelier-est.example.org/formations/cap-carrosserie"
    sessions = {s.identifiant_externe: s for s in action.sessions}
    assert sessions["S-APPR-2"].archivee and not sessions["S-MIXTE-1"].archivee
    assert sessions["S-MIXTE-1"].date_debut == date(2027, 9, 1)
    assert _state(action) == ("a_controler", "diffusable", "cree")
    again = _import()
    assert again.counts["sessions_archivees"] == 0 and again.rejets == 0
    db.session.expire_all()
    assert not db.session.scalar(select(Session).where(Session.identifiant_externe == "S-APPR-2")).archivee


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_locked_and_archived_actions(imported):
    """An Inactif / À supprimer action is not updated by a changed feed (reported, left as it is;
    an unchanged feed says nothing); an archived one offered again comes back Désarchivé."""
    action = _action()
    action.controle, action.publication = "inactif", "a_supprimer"  # as the Robot's inactivation leaves it
    archived = _action("F-RICHE-2")
    archived.publication, archived.etat_fiche = "archive", "archive"
    db.session.commit()
    assert _import().rejets == 0
    changed = _riche(("Lire une notice technique", "Lire et rédiger une notice technique"),
                     ("Obtention du CAP", "Obtention du CAP (session 2027)"))
    report = _import(changed)
    refused = [p for p in report.problems if p.gravite == REJET]
    assert [p.formation for p in refused] == ["F-RICHE-1"]
    assert "n'est pas mise à jour par le flux" in refused[0].message and "inactive" in refused[0].message
    db.session.expire_all()
    assert _state(_action()) == ("inactif", "a_supprimer", "cree")
    assert "session 2027" not in _action().resultats_attendus
    assert _state(_action("F-RICHE-2")) == ("a_controler", "en_redaction", "desarchive")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_strict_writes_nothing_when_something_is_rejected(app):
    """--strict: one rejected element and nothing at all is written (organismes, carnets, actions,
    history); without a rejet everything is."""
    prepare_riche_referential()
    history = _count(History)
    report = import_lheo(str(TIERS), "tiers", strict=True)
    assert report.rejets and not report.written and report.counts["actions_creees"] == 2
    assert [_count(m) for m in (Organisme, Action, Session, Contact, Adresse)] == [0, 0, 0, 0, 0]
    assert _count(History) == history
    ok = import_lheo(str(RICHE), SOURCE, strict=True)
    assert ok.written and ok.rejets == 0 and _count(Action) == 3 and _count(Session) == 6


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_organisme_known_by_its_siret_is_claimed_not_overwritten(app, make):
    """An organisme entered here with the feed's SIRET is the feed's organisme: its own values win,
    its empty fields are filled, the differences are reported; no second organisme is created.
    Later, a value the supplier changes is applied as an organisme's edit (waiting for validation,
    partners keep the validated fiche); one edited here and not by the supplier stays."""
    prepare_riche_referential()
    own = make.organisme(siret="51234567900017", raison_sociale="Atelier Est (saisie)", telephone="09 99 99 99 99",
                         courriel=None, nda=None)
    report = _import()
    assert _count(Organisme) == 1 and report.counts["organismes_crees"] == 0
    warning = next(p.message for p in report.problems if "rattaché au flux par son SIRET" in p.message)
    assert "raison_sociale" in warning and "telephone" in warning
    db.session.expire_all()
    own = db.session.get(Organisme, own.id)
    assert (own.raison_sociale, own.telephone, own.courriel, own.nda) == (
        "Atelier Est (saisie)", "09 99 99 99 99", "contact@atelier-est.example.org", "11755555575")
    assert (own.source, own.identifiant_externe) == (SOURCE, "ORG-EST")
    own.courriel = "accueil@atelier-est.example.org"
    db.session.commit()
    changed = _riche(("<numtel>01 02 03 04 05</numtel>", "<numtel>01 02 03 04 55</numtel>"))
    assert _import(changed).counts["organismes_mis_a_jour"] == 1
    db.session.expire_all()
    own = db.session.get(Organisme, own.id)
    assert (own.telephone, own.courriel) == ("01 02 03 04 55", "accueil@atelier-est.example.org")
    assert own.modifications_a_valider
    assert organisme_publication.published(own)["telephone"] == "09 99 99 99 99"
    assert ("telephone", "09 99 99 99 99", "01 02 03 04 55") in [
        (key, old, new) for _section, key, old, new in organisme_publication.changes(own)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_progress_is_reported(app):
    """on_progress(formations read, bytes read) is called as the file is read, and at its end with
    the whole file."""
    prepare_riche_referential()
    calls = []
    import_lheo(str(RICHE), SOURCE, on_progress=lambda formations, size: calls.append((formations, size)))
    assert calls and calls[-1] == (3, RICHE.stat().st_size)
    assert calls == sorted(calls)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_renumbered_lheo_actions_are_not_a_content_change(imported):
    """The supplier renumbers its LHEO <action>s: the sessions keep the new numbers, and nothing
    else happens (no visa reset, no history: the number is identity, not content)."""
    history = history_count()
    report = _import(_riche(('<action numero="AC-APPR">', '<action numero="AC-APPR-2027">')))
    assert report.rejets == 0 and report.counts["actions_inchangees"] == 3
    db.session.expire_all()
    assert _state(_action()) == ("vise", "diffusable", "cree")
    assert {s.action_externe for s in _action().sessions if s.identifiant_externe.startswith("S-APPR")} == {
        "AC-APPR-2027"}
    assert history_count() == history
