"""Business rules of the back-office, as pure functions (no Flask, no SQLAlchemy).

Every validator returns a French, user-facing message (str) when the value is refused, or
None when it is valid; a check of several fields at once returns (form field, message) pairs,
empty when all is well. Validators refuse blank values too: callers skip optional fields (e.g. the UAI of an organisme that is
not an apprenticeship centre) when blank. One module per kind of rule; every name is
importable from `backoffice.rules`.
"""
from .accounts import (
                          attachment_problems,
                          deactivation_problem,
                          lock_duration,
                          lock_end,
                          login_base,
                          make_login,
                          name_problems,
                          own_account_problems,
)
from .communes import CommuneMatch, clean_code_postal, is_cedex, is_france, match_commune, town_key
from .content import (
                          ACTION_COLLECTION_LIMITS,
                          ACTION_CONTENT_COLUMNS,
                          DATE_FORMAT_MESSAGE,
                          DATES_INFORMATION_MAX,
                          FINANCEURS_MAX,
                          PARCOURS,
                          PRICES,
                          SESSION_CONTENT_COLUMNS,
                          VALIDATION_BLOCS,
                          check_action_content,
                          check_dates_information,
                          check_financeurs,
                          check_formateur,
                          check_inscription_period,
                          check_price,
                          check_session_content,
                          euros_text,
                          foreign_blocs,
                          normalize_formateur,
                          split_dates,
                          url_errors,
)
from .identifiers import (
                          NUMERO_PREFIX,
                          UAI_LETTERS,
                          format_numero,
                          normalize_siret,
                          normalize_uai,
                          parse_numero,
                          uai_letter,
                          validate_nda,
                          validate_siret,
                          validate_uai,
                          validated_identity_problems,
)
from .locks import CONTRACTUAL_FIELDS, locked_fields, locked_violations, parse_lock_policy
from .offer import (
                          ACCOMPAGNEMENT_MANDATORY,
                          ACTION_MANDATORY,
                          SESSION_MANDATORY,
                          URL_MAX,
                          find_doublon,
                          is_cpf,
                          missing_fields,
                          normalize_title,
                          title_warning,
                          validate_url,
)
from .perimeter import (
                          CARIF_OREF_MAP_URL,
                          IDF_DEPARTEMENTS,
                          IDF_REGION,
                          JUSTIFICATIF_MAX_BYTES,
                          JUSTIFICATIF_MAX_TEXT,
                          JUSTIFICATIF_TOO_BIG,
                          JUSTIFICATION_REQUIRED,
                          MODALITE_BY_LHEO_CODE,
                          MODALITE_LHEO_CODES,
                          MODALITES,
                          PERIMETER_REFUSAL,
                          Place,
                          check_registration_perimeter,
                          check_session_dates,
                          check_session_place,
                          departement_of,
                          is_idf_region,
                          validate_justificatif,
)
from .robot import (
                          INACTIVATION_DAYS,
                          REMINDER_DAYS_BEFORE,
                          archiving_date,
                          inactivation_date,
                          latest_end_archived_by,
                          latest_end_reminded_by,
                          reminder_date,
)
from .search_text import LIKE_ESCAPE, contains_pattern, escape_like, searched_numero
from .validation import (
                          DATE_MAX_YEAR,
                          DATE_MIN_YEAR,
                          DATE_RANGE_MESSAGE,
                          REQUIRED_MESSAGE,
                          UNKNOWN_CHOICE_MESSAGE,
                          check_hours_sum,
                          date_in_range,
                          foreign_row_ids,
                          module_parent_problem,
                          required_text,
                          unknown_values,
)

__all__ = [
    "attachment_problems", "deactivation_problem", "login_base", "make_login", "name_problems",
    "lock_duration", "lock_end",
    "own_account_problems", "CommuneMatch", "clean_code_postal", "is_cedex", "is_france", "match_commune",
    "town_key", "NUMERO_PREFIX", "UAI_LETTERS", "format_numero", "normalize_siret",
    "normalize_uai", "parse_numero", "uai_letter", "validate_nda", "validate_siret", "validate_uai",
    "validated_identity_problems",
    "CONTRACTUAL_FIELDS", "locked_fields", "locked_violations", "parse_lock_policy", "ACCOMPAGNEMENT_MANDATORY",
    "ACTION_MANDATORY", "SESSION_MANDATORY", "URL_MAX", "find_doublon", "is_cpf", "missing_fields",
    "normalize_title", "title_warning", "validate_url", "CARIF_OREF_MAP_URL", "IDF_DEPARTEMENTS",
    "IDF_REGION", "JUSTIFICATIF_MAX_BYTES", "JUSTIFICATION_REQUIRED", "MODALITES", "MODALITE_BY_LHEO_CODE", "MODALITE_LHEO_CODES",
    "PERIMETER_REFUSAL", "Place",
    "check_registration_perimeter", "check_session_dates", "check_session_place", "departement_of", "is_idf_region",
    "validate_justificatif", "INACTIVATION_DAYS", "REMINDER_DAYS_BEFORE", "archiving_date", "inactivation_date",
    "latest_end_archived_by", "latest_end_reminded_by", "reminder_date",
    "ACTION_COLLECTION_LIMITS", "ACTION_CONTENT_COLUMNS", "DATE_FORMAT_MESSAGE", "DATES_INFORMATION_MAX",
    "FINANCEURS_MAX", "PARCOURS", "PRICES", "SESSION_CONTENT_COLUMNS", "VALIDATION_BLOCS", "check_action_content",
    "check_dates_information", "check_financeurs", "check_formateur", "check_inscription_period", "check_price",
    "check_session_content", "euros_text", "foreign_blocs", "normalize_formateur", "split_dates", "url_errors",
    "DATE_MAX_YEAR", "DATE_MIN_YEAR", "DATE_RANGE_MESSAGE", "REQUIRED_MESSAGE", "UNKNOWN_CHOICE_MESSAGE",
    "check_hours_sum", "date_in_range", "foreign_row_ids", "module_parent_problem", "required_text", "unknown_values",
    "JUSTIFICATIF_MAX_TEXT", "JUSTIFICATIF_TOO_BIG",
    "LIKE_ESCAPE", "contains_pattern", "escape_like", "searched_numero",
]
