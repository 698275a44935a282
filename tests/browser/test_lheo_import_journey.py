"""« Importer un flux LHEO » in a real Chromium, screenshots in test-artifacts/<test name>/: a
documentaliste uploads an LHEO file, sees the import running (progress bar), then the report with
the rejected Formacode of each formation, and downloads the CSV report."""
import csv
import io
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import expect

from backoffice.extensions import db
from backoffice.models import ImportLheo
from tests.factories import TEST_PASSWORD
from tests.integration import lheo_screen_support

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


FORMATIONS = 25
HELD = 22  # the formation whose organisme the test locks: after the import's progress at 20


def test_documentaliste_uploads_follows_and_downloads_the_report(page, live_server, app, make, unique, artifacts,
                                                                 tmp_path):
    """Upload (file, source, options) -> the report page with its progress bar while the import runs
    -> the counts and every rejected element once it ends -> the CSV report, downloaded and read."""
    base = live_server.rstrip("/")
    page.set_default_timeout(20000)
    step = iter(range(1, 100))

    def shot(name):
        page.screenshot(path=str(artifacts / f"{next(step):02d}-{name}.png"), full_page=True)

    source = f"ecran-{unique}"
    doc = make.user("documentaliste", identifiant=f"docimport{unique}")
    held = make.organisme(source=source, identifiant_externe="ECRAN-ORG-2", raison_sociale=f"Ancien nom {unique}")
    feed = tmp_path / "offre-ecran.xml"
    feed.write_bytes(lheo_screen_support.feed(FORMATIONS, held=HELD))
    dsn = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    blocker = psycopg.connect(dsn)  # the import waits for this organisme: the page shows it running
    blocker.execute("SELECT id FROM organisme WHERE id = %s FOR UPDATE", (held.id,))
    try:
        page.goto(base + "/connexion")
        page.fill("#identifiant", doc.identifiant)
        page.fill("#password", TEST_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.click("text=Gérer ses offres")
        with page.expect_navigation():
            page.click("text=Importer un flux LHEO")
        expect(page.locator("h2")).to_have_text("Importer un flux LHEO")
        page.click("#lheo-import-submit")  # nothing chosen: refused in the page, before any upload
        expect(page.locator("#fichier-erreur")).to_have_text("Choisissez le fichier LHEO à importer.")
        page.set_input_files("#fichier", str(feed))
        expect(page.locator("#fichier-erreur")).to_have_text("")
        page.fill("#source", source)
        page.check("#hors_perimetre")
        shot("formulaire")
        with page.expect_navigation():
            page.click("#lheo-import-submit")

        expect(page.locator(".alert").first).to_contain_text("son import commence")
        expect(page.locator("#lheo-import-bar")).to_be_visible()
        expect(page.locator("#lheo-import-message")).to_contain_text("Import en cours : 20 formation(s) lue(s)")
        percent = int(page.locator("#lheo-import-bar").get_attribute("aria-valuenow"))
        assert 0 < percent < 100
        shot("import-en-cours")
    finally:
        blocker.rollback()
        blocker.close()

    expect(page.locator("#lheo-import-counts")).to_be_visible(timeout=60000)  # the page reloads at the end
    expect(page.locator("#lheo-import-statut")).to_have_text("Terminé")
    expect(page.locator("#lheo-import-counts")).to_contain_text("Formations lues")
    counts = dict(zip(page.locator("#lheo-import-counts th").all_inner_texts(),
                      page.locator("#lheo-import-counts td").all_inner_texts(), strict=True))
    assert counts["Formations lues"] == str(FORMATIONS) and counts["Actions créées"] == str(FORMATIONS)
    assert counts["Organismes mis à jour"] == "1"  # the held one
    rejected = page.locator("#lheo-import-problemes tr", has_text="99999")
    expect(rejected).to_have_count(FORMATIONS)  # once per formation, on the first page (50 a page)
    expect(rejected.first).to_contain_text("Rejet")
    expect(rejected.first).to_contain_text("ECRAN-FORM-1")
    expect(rejected.first).to_contain_text("/domaine-formation/code-FORMACODE")
    shot("rapport")

    with page.expect_download() as download:
        page.click("#lheo-import-csv")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["Gravité", "Ligne", "Élément", "Formation", "Raison"]
    assert sorted(r[3] for r in rows[1:] if "99999" in r[4]) == sorted(f"ECRAN-FORM-{n}" for n in range(1, 26))
    assert all(r[0] in ("Rejet", "Avertissement") for r in rows[1:])
    db.session.expire_all()
    imported = db.session.query(ImportLheo).filter_by(source=source).one()
    assert imported.rejets + imported.avertissements == len(rows) - 1

    with page.expect_navigation():
        page.click("text=← Imports LHEO")
    listed = page.locator(f"#lheo-imports tr[data-import='{imported.id}']")
    for text in ("offre-ecran.xml", source, "Terminé", f"{doc.prenom} {doc.nom}"):
        expect(listed).to_contain_text(text)
    shot("liste-des-imports")
    with page.expect_navigation():
        page.click(f"#lheo-imports tr[data-import='{imported.id}'] a >> nth=0")
    with page.expect_navigation():
        page.click("#lheo-import-actions")
    expect(page.locator("body")).to_contain_text("Anglais professionnel pour l'accueil")
    shot("actions-de-la-source")
