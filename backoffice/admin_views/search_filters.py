"""The lists' "contient" / "ne contient pas" filters, searched as typed.

Flask-Admin's own (flask_admin.contrib.sqla.filters.FilterLike) hands the value to ILIKE as it is,
so a `%` or `_` typed by the user matches any text, and a leading ^ or = changes the operation.
Here the value is contained literally (services/search_text.py `contains`, the same LIKE as the
search boxes), and a value too long to be a search (rules/search_text.py) finds nothing. Every
list gets them through ListQueryMixin.filter_converter (list_query.py)."""
from flask_admin.contrib.sqla.filters import FilterConverter, FilterLike, FilterNotLike
from sqlalchemy import false

from ..rules import search_problem
from ..services.search_text import contains


class LiteralLike(FilterLike):
    def apply(self, query, value, alias=None):
        if search_problem(value):
            return query.filter(false())
        return query.filter(contains(self.get_column(alias), value))


class LiteralNotLike(FilterNotLike):
    def apply(self, query, value, alias=None):
        if search_problem(value):
            return query.filter(false())
        return query.filter(~contains(self.get_column(alias), value))


class LiteralFilterConverter(FilterConverter):
    """Flask-Admin's converter, its text filters' "contient" and "ne contient pas" literal."""

    strings = tuple({FilterLike: LiteralLike, FilterNotLike: LiteralNotLike}.get(f, f) for f in FilterConverter.strings)
