"""What a list page and a fiche read from the database (figures in bench/RESULTS.md).

Stock Flask-Admin runs COUNT(*) over the whole scoped, filtered table on every list page (~20 ms at
400,000 actions, and growing with the base) and loads the related row of a dotted column
(organisme.raison_sociale) with one statement per row. Here a page costs one statement: its rows
with their many-to-one relations and a bounded count (+ one per collection shown), whatever the
size of the base and of the page. Everything is done through the query and SQLAlchemy loader
options; the page is rendered by Flask-Admin's own list.html (inside its rows: list_rows.py).
"""
from flask import flash, g, has_request_context, request, url_for
from sqlalchemy import Text, Unicode, cast, false, func, inspect, or_, select
from sqlalchemy.orm import RelationshipProperty, defaultload, defer, joinedload, load_only, selectinload

from ..extensions import db
from ..rules import search_problem, searched_numero
from ..services.search_text import contains, numero_condition, relevance, text_condition
from .list_order import LAST_PAGE_ARG, REACHABLE_ROWS, pager_note, reachable_pages, reversed_order
from .search_filters import LiteralFilterConverter
from .search_pool import pooled

LOADERS = {"joinedload": joinedload, "selectinload": selectinload}


class AtLeast(int):
    """A bounded list count: the list has at least this many rows ("plus de 1 000" in the header)."""

    def __str__(self):
        return f"plus de {int(self):,}".replace(",", " ")

    def __html__(self):
        return str(self)


def columns_by_relation(paths) -> dict[tuple, list[str]]:
    """("numero", "organisme.nom_usuel") -> {(): ["numero"], ("organisme",): ["nom_usuel"]}."""
    columns: dict[tuple, list[str]] = {}
    for path in paths:
        *relations, column = path.split(".")
        columns.setdefault(tuple(relations), []).append(column)
    return columns


class ListQueryMixin:
    """The list's statement (bounded count, eager loads, columns read) and the fiche's loads."""

    simple_list_pager = True  # switches Flask-Admin's own COUNT(*) off; get_list counts below
    count_cap = REACHABLE_ROWS  # rows counted at most (what page numbers reach); beyond, "plus de N"
    list_eager_load: tuple[str, ...] = ()  # extra paths a formatter reads, e.g. ("lieu", "action.organisme")
    # Values a formatter would compute from a collection (an action's CPF from its certifications),
    # computed by the page's own statement instead: name -> function returning the SQL expression.
    # The formatter reads them with list_extra(); an export (query returned unexecuted) loads
    # `export_eager_load` instead.
    list_extra_columns: dict = {}
    export_eager_load: tuple[str, ...] = ()
    # The columns the list reads, as paths ("numero", "organisme.nom_usuel"): when given, the page's
    # rows load those (and the keys) only, and reading another column of them raises instead of
    # running one statement per row (tests/integration/test_list_records.py).
    # None: every column but the long texts (list_deferred_columns).
    list_load_only: tuple[str, ...] | None = None
    # What a fiche (get_one: edit, details, save) reads of the record's relations, loaded with it
    # (joined along many-to-one paths, one select-in per collection) rather than lazily one
    # statement at a time, e.g. ("organisme", "sessions.lieu").
    fiche_eager_load: tuple[str, ...] = ()
    _view_cache: dict | None = None  # what _built() keeps

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        size = self.page_size if page_size is None else page_size
        # a page number typed in the URL: none past the reachable pages (list_order.py)
        page = min(max(page or 0, 0), reachable_pages(size, self.count_cap) - 1 if size else 0)
        count, query = super().get_list(page, sort_column, sort_desc, search, filters,
                                        execute=False, page_size=page_size)
        # a search _apply_search set aside, searched in the list as filtered (never left for another list)
        pool_text = g.pop("_search_pool_text", None) if has_request_context() else None
        if pool_text is not None:
            query = self.search_pool(query.limit(None).offset(None), pool_text)
            if size:
                query = query.limit(size).offset(page * size)
        if not execute:  # exports stream the query (every column) and need no count
            return count, query.options(*self.list_loader_options(), *self._built(
                "export", lambda: self._eager_loads(self.export_eager_load)))
        if size and self.asks_last_page():
            return self._last_page(query, size)
        return self._page(query, page * (size or 0), ranked=pool_text is not None)

    # --------------------------------------------------------- reachable pages (list_order.py)
    def _get_list_extra_args(self):
        """The page asked in the URL, within the reachable pages (the pager shows that one)."""
        args = super()._get_list_extra_args()
        args.extra_args.pop(LAST_PAGE_ARG, None)  # the pager's and headers' links leave the last page
        size = self.get_safe_page_size(args.page_size)
        if size:
            args.page = min(max(args.page or 0, 0), reachable_pages(size, self.count_cap) - 1)
        return args

    @staticmethod
    def asks_last_page() -> bool:
        return has_request_context() and request.args.get(LAST_PAGE_ARG) == "1"

    def _last_page(self, query, size: int) -> tuple[int, list]:
        """The list's last rows, read in the reverse order (as cheap as page 1); when every page is
        reachable by number, exactly the rows of the last numbered page."""
        count, rows = self._page(reversed_order(query.limit(None).offset(None)).limit(size), 0)
        if not isinstance(count, AtLeast) and count:
            rows = rows[:count - ((count - 1) // size) * size]
        return count, rows[::-1]

    def last_page_url(self) -> str:
        args = {key: values for key, values in request.args.lists() if key != "page"}
        return url_for(".index_view", **args, **{LAST_PAGE_ARG: 1})

    def pager_note(self, count, page_size) -> str | None:
        return pager_note(isinstance(count, AtLeast), page_size, self.count_cap)

    def _page(self, query, offset: int, ranked: bool = False) -> tuple[int, list]:
        """(bounded count, rows) in one statement: the count is a column of every row, an
        uncorrelated sub-select that PostgreSQL runs once (one round trip less per page). A page
        past the end has no row to carry it: counted apart. A deep page, or a search's pool in
        relevance order (`ranked`: a thousand rows ranked for twenty), takes its ids first."""
        names = list(self.list_extra_columns)
        count = self._bounded_count_select(query, offset).scalar_subquery().label("list_count")
        extra = self._built("extra", lambda: [self.list_extra_columns[name]().label(name) for name in names])
        page = query.options(*self.list_loader_options(), *self.list_deferred_columns())
        if offset or ranked:
            page = self._deferred_join(page)
        rows = page.add_columns(count, *extra).all()
        if not rows:
            return self.bounded_count(query, offset), []
        if names:
            extras = g.setdefault("_list_extras", {})
            for row in rows:
                extras[(self.endpoint, self.get_pk_value(row[0]))] = dict(zip(names, row[2:], strict=True))
        return self._bounded(rows[0][1], offset), [row[0] for row in rows]

    def _deferred_join(self, page):
        """A deep page: its ids first, by the order's index alone (rows skipped by OFFSET are not
        joined to their organisme or action, nor read from the table), then the rows of those ids
        with their joins, in the same order (50 ms -> 30 ms at page 50 of 1,200,000 sessions)."""
        pk = self._pk_column()
        ids = page.with_entities(pk).subquery()
        return page.limit(None).offset(None).filter(pk.in_(select(list(ids.c)[0])))

    def list_extra(self, model, name: str, compute):
        """The value `name` of list_extra_columns for this row of the page, else compute(model)."""
        values = g.get("_list_extras", {}).get((self.endpoint, self.get_pk_value(model))) \
            if has_request_context() else None
        return values[name] if values and name in values else compute(model)

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """Flask-Admin's order, then the primary key in the same direction: rows that tie on the
        sort (hundreds of actions stamped by one Robot night, sessions starting the same day) keep
        one order from page to page, so paging neither repeats nor skips any. The indexes behind
        the default orders end with the id (schema.sql)."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        if sort_column is None:
            order = list(self._get_default_order())
            if not order:
                return query, joins
            sort_desc = order[-1][2]
        pk = self._pk_column()
        return query.order_by(pk.desc() if sort_desc else pk.asc()), joins

    # --------------------------------------------------------- search
    def search_pool(self, query, text: str):
        """`query` (the list filtered, in order, no page yet) kept to the rows a search set aside
        in _apply_search finds: the actions' pool in relevance order (search_pool.py)."""
        return pooled(query, text)

    filter_converter = LiteralFilterConverter()  # "contient" filters searched as typed (search_filters.py)

    def get_column_names(self, only_columns, excluded_columns):
        """Flask-Admin's columns of a list, fiche or export, never a search key (models/search_keys.py):
        the search's own copy of texts the record shows anyway."""
        return super().get_column_names(only_columns, [*(excluded_columns or ()), "search_key"])

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """The search box of every list, in French (services/search_text.py): a text that is
        exactly one OF_/AF_/SE_ number finds its record by equality (the action of a session
        number: numero_condition), inside the list's scope; else every word must start a word of
        the record, accents and case ignored, `%`, `_` and `\\` searched as typed (Flask-Admin's
        own search reads them as LIKE wildcards, and its leading ^ and = as operators). Actions,
        organismes and sessions are searched through their search key, one indexed LIKE per word,
        the actions found in relevance order unless the user sorts; the other lists' columns are
        searched by `contains`. A text too long to be a search answers a French message."""
        problem = search_problem(search)
        numero = None if problem else searched_numero(search)
        condition = numero_condition(self.model, *numero) if numero else None
        if problem is not None:
            flash(problem, "error")
            condition = false()
        elif condition is None:
            condition = text_condition(self.model, search)
            rank = relevance(self.model, search)
            if rank is not None and self._ranks_search():
                # the words are searched in the pool, built once the list is filtered (get_list)
                g._search_pool_text = search
                return query.order_by(rank), count_query, joins, count_joins
        if condition is not None:
            return (query.filter(condition), None if count_query is None else count_query.filter(condition),
                    joins, count_joins)
        for word in search.split():
            query, joins = self._search_word(query, joins, word)
            if count_query is not None:
                count_query, count_joins = self._search_word(count_query, count_joins, word)
        return query, count_query, joins, count_joins

    @staticmethod
    def _ranks_search() -> bool:
        """A list page in its default order: the actions found come in relevance order. Not when
        the user sorts by a column, nor in an export (every row found, services/search_text.py
        ranks a pool of them)."""
        return (has_request_context() and not request.args.get("sort")
                and not (request.endpoint or "").endswith(".export"))

    def _search_word(self, query, joins, word: str):
        matches = []
        for field, path in self._search_fields:
            query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
            column = field if alias is None else getattr(alias, field.key)
            matches.append(contains(cast(column, Unicode), word))
        return query.filter(or_(*matches)), joins

    # --------------------------------------------------------- bounded count
    def bounded_count(self, query, offset: int) -> int:
        """Rows of `query` up to offset + count_cap: exact below, AtLeast above (one cheap statement)."""
        return self._bounded(db.session.execute(self._bounded_count_select(query, offset)).scalar(), offset)

    def _bounded_count_select(self, query, offset: int):
        rows = query.limit(None).offset(None).order_by(None).with_entities(self._pk_column())
        return select(func.count()).select_from(rows.limit(max(self.count_cap, offset) + 1).subquery())

    def _bounded(self, count: int, offset: int) -> int:
        limit = max(self.count_cap, offset) + 1
        return count if count < limit else AtLeast(limit - 1)

    # --------------------------------------------------------- loader options
    def list_deferred_columns(self) -> list:
        """What the list does not load: the columns outside list_load_only when the view names them;
        else the long texts the grid does not show (contenu, the published JSON snapshot...), which
        a page of 20 actions would otherwise read and decode, kilobytes per row."""
        if self.list_load_only is not None:
            return self._built("load_only", self._load_only_options)
        return self._built("deferred", self._deferred_texts)

    def _load_only_options(self) -> list:
        # The rows' ORM loading and transfer grow with their columns, most of which the grid never
        # shows (a joined organisme has 44, the actions list reads 2): one load_only per entity.
        # raiseload: a column the view forgot to name fails loudly, never a statement per row.
        options = []
        for relations, names in columns_by_relation(self.list_load_only).items():
            model, option = self.model, None
            for name in relations:
                attr = getattr(model, name)
                option = defaultload(attr) if option is None else option.defaultload(attr)
                model = attr.property.mapper.class_
            columns = [getattr(model, name) for name in names]
            options.append(load_only(*columns, raiseload=True) if option is None
                           else option.load_only(*columns, raiseload=True))
        return options

    def _deferred_texts(self) -> list:
        shown = {name.split(".")[0] for name, _label in self.get_list_columns()} | set(self.list_eager_load)
        return [defer(getattr(self.model, attr.key)) for attr in inspect(self.model).column_attrs
                if attr.key not in shown and isinstance(attr.columns[0].type, Text)]

    def list_loader_options(self) -> list:
        """Eager loads for the relations the list shows: joinedload along many-to-one paths,
        selectinload for collections (computed once per view from column_list + list_eager_load)."""
        return self._built("list", lambda: self._eager_loads(
            [name for name, _label in self.get_list_columns()] + list(self.list_eager_load)))

    def fiche_loader_options(self) -> list:
        return self._built("fiche", lambda: self._eager_loads(self.fiche_eager_load))

    def _built(self, key: str, build):
        """build() once per view: the list's options and expressions depend on its configuration only."""
        if self._view_cache is None:
            self._view_cache = {}
        if key not in self._view_cache:
            self._view_cache[key] = build()
        return self._view_cache[key]

    def _eager_loads(self, paths) -> list:
        options = {}
        for path in paths:
            option, model, walked = None, self.model, []
            for part in path.split("."):
                attr = getattr(model, part, None)
                prop = getattr(attr, "property", None)
                if not isinstance(prop, RelationshipProperty):
                    break
                loader = "selectinload" if prop.uselist else "joinedload"
                option = getattr(option, loader)(attr) if option is not None else LOADERS[loader](attr)
                model, walked = prop.mapper.class_, walked + [part]
            if option is not None:
                options[".".join(walked)] = option
        return list(options.values())
