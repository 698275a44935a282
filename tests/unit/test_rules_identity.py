"""rules.validated_identity_problems: SIRET and NDA may not be left blank once an organisme is validated."""
from hypothesis import given
from hypothesis import strategies as st

from backoffice.rules import validated_identity_problems
from backoffice.rules.identifiers import NDA_KEPT, SIRET_KEPT

blanks = st.one_of(st.none(), st.text(alphabet=" \t\n\u00a0\u202f", max_size=5))
filled = st.text(alphabet="0123456789 ", min_size=1, max_size=20).filter(lambda v: v.strip())


@given(siret=blanks, nda=blanks)
def test_a_validated_organisme_with_blank_identifiers_is_told_at_each_field(siret, nda):
    assert validated_identity_problems(True, siret, nda) == [("siret", SIRET_KEPT), ("nda", NDA_KEPT)]


@given(siret=filled, nda=blanks)
def test_only_the_blank_one_is_reported(siret, nda):
    assert validated_identity_problems(True, siret, nda) == [("nda", NDA_KEPT)]
    assert validated_identity_problems(True, nda, siret) == [("siret", SIRET_KEPT)]


@given(siret=st.one_of(blanks, filled), nda=st.one_of(blanks, filled))
def test_a_brouillon_or_refused_organisme_may_lack_them(siret, nda):
    assert validated_identity_problems(False, siret, nda) == []


@given(siret=filled, nda=filled)
def test_filled_identifiers_pass_whatever_their_format(siret, nda):
    """Their format is validate_siret's and validate_nda's, not this rule's."""
    assert validated_identity_problems(True, siret, nda) == []
