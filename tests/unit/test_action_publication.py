"""publication.diff: what changed since the last visa, field by field and session by session (pure)."""
from backoffice.services.publication import SESSION_ADDED, SESSION_REMOVED, diff


def _content(**changes):
    content = {"id": 1, "numero": "AF_0000000001", "intitule": "CAP cuisine", "objectif": "Former", "contenu": None,
               "controle": "vise", "publication": "diffusable", "updated_at": "2026-01-01T10:00:00",
               "version_id": 3, "certifications": [1, 2], "formacodes": [], "nsfs": [],
               "sessions": [{"id": 10, "numero": "SE_0000000010", "date_debut": "2027-01-04",
                             "date_fin": "2027-06-30", "duree_totale": "350.0", "lieu_id": 5, "version_id": 1}]}
    content.update(changes)
    return content


def test_no_published_version_no_rows():
    """Never visé: nothing to compare with."""
    assert diff(None, _content()) == []


def test_bookkeeping_and_workflow_columns_are_not_changes():
    """Indicators, versions and timestamps move at every save: they are not content changes."""
    assert diff(_content(), _content(controle="a_controler", updated_at="2026-02-02T00:00:00", version_id=9)) == []


def test_fields_lists_and_blank_values():
    """A changed field gives (section, label, old, new); '' equals None; list order does not matter."""
    rows = diff(_content(), _content(intitule="CAP cuisine 2027", contenu="", certifications=[2, 1, 3]),
                action_labels={"intitule": "Intitulé"})
    assert rows == [("Action", "Intitulé", "CAP cuisine", "CAP cuisine 2027"),
                    ("Action", "certifications", [1, 2], [1, 2, 3])]


def test_sessions_matched_by_numero():
    """Sessions are matched by numero: added, removed (or archived), and changed field by field."""
    old = _content()
    changed = dict(old["sessions"][0], date_fin="2027-07-15", version_id=2)
    added = {"id": 11, "numero": "SE_0000000011", "date_debut": "2027-09-01", "date_fin": "2028-01-31",
             "duree_totale": "350.0", "lieu_id": 5}
    rows = diff(old, _content(sessions=[changed, added]), session_labels={"date_fin": "Date de fin"})
    assert rows == [("Session SE_0000000010", "Date de fin", "2027-06-30", "2027-07-15"),
                    ("Session SE_0000000011", SESSION_ADDED, None, "SE_0000000011")]
    assert diff(old, _content(sessions=[])) == [("Session SE_0000000010", SESSION_REMOVED, "SE_0000000010", None)]
