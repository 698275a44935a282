"""Pure account rules: the password policy (OWASP ASVS 5.0 V6.2), the PDF check of the justification, a
user's attachments and what nobody may do to their own account (rules.accounts)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice import permissions
from backoffice.rules import accounts as rules
from backoffice.services import justificatifs
from backoffice.services.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    TOO_COMMON,
    TOO_LONG,
    TOO_PERSONAL,
    TOO_SHORT,
    check_password,
)
from tests.accounts_helpers import make_pdf

PERSON = {"identifiant": "fdurant1", "nom": "Durant", "prenom": "François", "email": "f.durant@exemple.fr"}


@pytest.mark.parametrize("password, expected", [
    ("x" * (MIN_LENGTH - 1), TOO_SHORT),
    ("é" * 3 + "chat qui dort" + "x" * (MAX_LENGTH - 15), TOO_LONG),
    ("motdepasse123456", TOO_COMMON),
    ("Azertyuiop123456!", TOO_COMMON),
    ("1234567890123456", TOO_COMMON),
    ("P@ssw0rdP@ssw0rd!", TOO_COMMON),
    ("soleil2024marseille", TOO_COMMON),
    ("aaaaaaaaaaaaaaaaaaaa", TOO_COMMON),
    ("abcabcabcabcabcabc", TOO_COMMON),
    ("qsdfghjklmqsdfghjklm", TOO_COMMON),
    ("fdurant1-bienvenue!!", TOO_PERSONAL),
    ("francois.durant.2026", TOO_PERSONAL),
])
def test_refused_passwords(password, expected):
    """Too short or long, common (padded, doubled, leet, keyboard runs) or built on the user's own names."""
    assert check_password(password, **PERSON) == expected


@pytest.mark.parametrize("password", [
    "cheval bleu mange l'herbe", "Le chat de Mireille dort", "fdurant1 aime les tartes aux pommes",
    "🦊 renard roux 🦊 dans la neige", "x" * 3 + "j'ai vu 7 hérons près du canal", "a" + "bcdefghij" * 14,
])
def test_accepted_passwords(password):
    """Long passphrases pass with any characters, spaces and emoji, and no composition rule; a personal
    word is allowed when enough else stands beside it."""
    if len(password) > MAX_LENGTH:
        assert check_password(password, **PERSON) == TOO_LONG
    else:
        assert check_password(password, **PERSON) is None


def test_pdf_check_parses_the_file():
    """A real PDF passes; a renamed image, a fake header, a truncated file, an empty one or one over
    1 Mo is refused with a French message."""
    pdf = make_pdf()
    assert justificatifs.check_pdf(pdf) is None
    assert justificatifs.check_pdf(b"\x89PNG\r\n\x1a\n" + b"0" * 100) == "Le justificatif doit être au format PDF."
    assert justificatifs.check_pdf(b"%PDF-1.4\nfaux\n%%EOF") == justificatifs.NOT_A_PDF
    assert justificatifs.check_pdf(pdf[:200]) == justificatifs.NOT_A_PDF
    assert justificatifs.check_pdf(b"") == "Le justificatif est vide."
    assert justificatifs.check_pdf(make_pdf(extra_bytes=1_000_000)) == "Le justificatif doit peser moins de 1 Mo (1 000 000 octets)."


def test_stored_names_cannot_escape_the_folder(tmp_path):
    """Only names made by store() resolve to a file; a path or a guessed name resolves to nothing."""
    name = justificatifs.store(str(tmp_path), b"%PDF-1.4")
    assert justificatifs.path_of(str(tmp_path), name).read_bytes() == b"%PDF-1.4"
    assert oct(justificatifs.path_of(str(tmp_path), name).stat().st_mode & 0o777) == "0o600"
    for bad in ("../secret_key", "/etc/passwd", name.upper(), name + "/..", "", None):
        assert justificatifs.path_of(str(tmp_path), bad) is None
    assert justificatifs.clean_filename("C:\\Users\\moi\\con\x00vention\n.pdf") == "convention.pdf"


def test_the_account_rules_name_real_roles():
    """The role codes rules.accounts compares with are roles of the permissions matrix."""
    assert {rules.ORGANISME, rules.FINANCEUR, rules.ADMIN} <= set(permissions.ROLES)


@given(st.sampled_from(permissions.ROLES), st.booleans(), st.booleans())
def test_attachments_follow_the_role(role, has_financeur, has_organismes):
    """Accepted exactly when a financeur user, and only one, has a financeur and an organisme user,
    and only one, has organismes; each refusal names its field."""
    problems = rules.attachment_problems(role, has_financeur, has_organismes)
    consistent = (has_financeur == (role == rules.FINANCEUR)) and (has_organismes == (role == rules.ORGANISME))
    assert (problems == []) == consistent
    assert {name for name, _message in problems} <= {"financeur", "organismes"}


@given(st.sampled_from(permissions.ROLES), st.sampled_from(permissions.ROLES), st.booleans())
def test_own_account_keeps_its_role_and_stays_active(old, new, actif):
    """On one's own account any change of role and any deactivation is refused, at its field."""
    problems = rules.own_account_problems(old, new, actif)
    assert [name for name, _message in problems] == ["role"] * (old != new) + ["actif"] * (not actif)


@pytest.mark.parametrize("own, target, acting, expected", [
    (True, "support", "support", rules.OWN_DEACTIVATION),
    (True, "admin", "admin", rules.OWN_DEACTIVATION),
    (False, "admin", "support", rules.ADMIN_DEACTIVATION),
    (False, "admin", "admin", None),
    (False, "organisme", "support", None),
])
def test_deactivation_refusals(own, target, acting, expected):
    """Never one's own account; an administrator's only by an administrator."""
    assert rules.deactivation_problem(own, target, acting) == expected
