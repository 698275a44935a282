"""What a number column can store, from the model's column types (no Flask: services use it too).

PostgreSQL's INTEGER holds 32 bits, and SQLAlchemy casts every integer parameter to its column's
type: "99999999999" typed in a field, or sent as the id of a record, fails the whole statement
with an English driver error. Forms check their fields against `column_range`
(admin_views/forms.py: a French message at the field); `typed_key` turns a key that no row can
have into "no such record".
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, Float, Integer, Numeric, SmallInteger

# what the database stores in an integer column (PostgreSQL's sizes; SQLite stores 64 bits in all)
INTEGER_BITS = ((BigInteger, 64), (SmallInteger, 16), (Integer, 32))


def column_range(column) -> tuple[Decimal, Decimal] | None:
    """The smallest and largest value an integer or NUMERIC(p, s) column stores (None: no limit known)."""
    kind = column.type
    for integer_type, bits in INTEGER_BITS:
        if isinstance(kind, integer_type):
            return Decimal(-(2 ** (bits - 1))), Decimal(2 ** (bits - 1) - 1)
    if isinstance(kind, Numeric) and not isinstance(kind, Float) and kind.precision:
        scale = kind.scale or 0
        high = Decimal(10) ** (kind.precision - scale) - Decimal(10) ** -scale
        return -high, high
    return None


def french_number(value: Decimal) -> str:
    sign, text = ("-", str(-value)) if value < 0 else ("", str(value))
    whole, _, decimals = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u00a0")
    return f"{sign}{grouped}{',' + decimals if decimals else ''}"


def out_of_range(value, bounds: tuple[Decimal, Decimal]) -> bool:
    """Would the database refuse `value` in a column of these bounds? A NUMERIC rounds to its
    scale before it checks the precision, so 999 999,96 overflows NUMERIC(7, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    number = Decimal(value)
    if not number.is_finite():
        return True
    low, high = bounds
    if not low - 1 <= number <= high + 1:
        return True
    # the bounds carry the column's scale (999999.9: one decimal)
    number = number.quantize(Decimal(1).scaleb(high.as_tuple().exponent), rounding=ROUND_HALF_UP)
    return not low <= number <= high


def typed_key(column, value):
    """A key sent as text (a URL, a picker) as the column's Python type, or None when no row can
    have it: malformed, or out of the column's range (PostgreSQL would refuse the comparison)."""
    try:
        key = column.type.python_type(value) if isinstance(value, str) else value
    except (TypeError, ValueError, ArithmeticError, NotImplementedError):
        return None
    bounds = column_range(column)
    return None if bounds is not None and out_of_range(key, bounds) else key
