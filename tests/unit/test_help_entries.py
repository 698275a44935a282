"""The help pages as data (backoffice/help/): each entry complete, its links internal, its text safe,
and the search blind to case and accents."""
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from backoffice import permissions
from backoffice.help import entries, markup
from backoffice.rules import robot

ALLOWED_TAGS = re.compile(r'</?(p|ul|li|strong)>|<a href="/[^"<>]*">|</a>')


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def test_every_entry_has_a_title_a_topic_its_roles_and_a_body():
    assert 10 <= len(entries.ENTRIES) <= 15
    assert len(entries.BY_SLUG) == len(entries.ENTRIES)  # slugs are unique
    for entry in entries.ENTRIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.slug), entry.slug
        assert entry.title.strip() and entry.topic.strip(), entry.slug
        assert entry.roles and set(entry.roles) <= set(permissions.ROLES), entry.slug
        assert len(entry.body.split()) >= 30, entry.slug  # a real answer, not a stub
        assert "{" not in entry.body and "}" not in entry.body, entry.slug  # every figure was filled in
        assert str(entry.html()).startswith("<"), entry.slug


def test_the_pages_asked_for_are_there():
    titles = {entry.slug: entries.fold(entry.title) for entry in entries.ENTRIES}
    assert entries.REGISTRATION_SLUG in titles and "comment s'inscrire" in titles[entries.REGISTRATION_SLUG]
    for words in ("mot de passe oublie", "bloque", "sessions", "soumettre", "indicateurs", "desarchiver",
                  "dupliquer", "carnet d'adresses", "contacts", "lheo", "recoit l'offre", "contacter"):
        assert any(words in title for title in titles.values()), words


def test_every_link_is_an_internal_path_and_a_help_link_names_an_entry():
    for entry in entries.ENTRIES:
        for target in entry.links():
            assert markup.LINK.fullmatch(f"[x]({target})"), (entry.slug, target)  # "/...", never another site
            if target.startswith("/aide/"):
                assert target.removeprefix("/aide/").split("#")[0] in entries.BY_SLUG, (entry.slug, target)


def test_figures_come_from_the_rules():
    archiving = entries.BY_SLUG["archiver-desarchiver"].body
    assert f"{robot.REMINDER_DAYS_BEFORE} jours avant" in archiving
    assert f"{robot.INACTIVATION_DAYS} jours" in entries.BY_SLUG["action-inactive"].body


def test_markup_renders_paragraphs_lists_bold_and_internal_links():
    html = str(markup.render("Un **mot** et [la liste](/admin/actions/#x).\n\n- un\n  suite\n- deux"))
    assert html == ('<p>Un <strong>mot</strong> et <a href="/admin/actions/#x">la liste</a>.</p>\n'
                    "<ul><li>un suite</li><li>deux</li></ul>")


def test_a_link_to_another_site_stays_text():
    html = str(markup.render("[a](https://ailleurs.fr) [b](//ailleurs.fr) [c](javascript:alert(1))"))
    assert "<a" not in html and "ailleurs.fr" in html
    assert markup.links("[a](https://ailleurs.fr) [b](/ok)") == ["https://ailleurs.fr", "/ok"]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_no_html_gets_through_whatever_the_text(text):
    html = str(markup.render(text))
    assert "<" not in ALLOWED_TAGS.sub("", html)


def test_search_ignores_case_and_accents():
    found = [entry.slug for entry in entries.search("desarchiver")]
    assert found and found[0] == "archiver-desarchiver"
    assert "Désarchiver" in entries.BY_SLUG["archiver-desarchiver"].body
    assert [e.slug for e in entries.search("DÉSARCHIVER")] == found
    assert entries.search("zorglub introuvable") == []
    assert entries.search("   ") == list(entries.ENTRIES)


def test_search_needs_every_word():
    both = {e.slug for e in entries.search("mot de passe bloqué")}
    assert "se-connecter" in both
    assert all("bloque" in entries.fold(e.title + " " + markup.plain(e.body)) for e in entries.search("bloqué"))


@given(st.sampled_from(entries.ENTRIES), st.booleans())
def test_each_entry_is_found_by_its_own_title_without_accents(entry, upper):
    query = _strip_accents(entry.title)
    query = query.upper() if upper else query
    assert entry in entries.search(query)
