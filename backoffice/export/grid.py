"""CSV and XLSX exports of every list, with its current search, filters and sort, streamed.

`GridExportMixin` replaces Flask-Admin's export (which loads the whole result in memory and
needs tablib for XLSX): rows are read in batches (yield_per) from the view's own scoped query
(get_list(..., execute=False)), so an organisme user's export holds only their rows.
- CSV: a generator of lines (UTF-8 with BOM and ';' separators, what a French Excel opens);
- XLSX: openpyxl write-only workbook in a temporary file, then streamed and deleted;
- every text cell that a spreadsheet would run as a formula (= + - @ tab CR LF) gets a
  leading apostrophe; control characters are dropped; the csv module and openpyxl escape the rest;
- more than GRID_EXPORT_ASYNC_ROWS rows (default 5,000) with Redis configured: the export runs
  as an RQ job writing a file, the page shows its progress and then the download
  (grid_jobs.py, grid_views.py). In embedded mode (no Redis) it always streams at once.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from flask import Response, current_app, flash, redirect, request, stream_with_context
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from werkzeug.utils import secure_filename

from ..security import neutralise_formula
from ..templating import date_fr, datetime_fr

EXPORT_TYPES = ("csv", "xlsx")
ASYNC_ROWS = 5000
BATCH = 500
# the media types alone: Werkzeug adds "; charset=utf-8" to a text/* one (given here too, the
# header said it twice)
MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def cell_value(value, for_xlsx: bool = False):
    """A list value as an export cell: text (formula-safe), or a number for XLSX."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        value = value.striptags()
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if for_xlsx:
            return float(value) if isinstance(value, Decimal) else value
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return datetime_fr(value)
    if isinstance(value, date):
        return date_fr(value)
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(str(v) for v in value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return neutralise_formula(text)


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV document, line by line (BOM first, ';' separated, every field quoted when needed)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    writer.writerow([cell_value(c) for c in header])
    for row in rows:
        writer.writerow([cell_value(c) for c in row])
        if buf.tell() > 1 << 15:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_xlsx(path: str, header: list[str], rows: Iterable[list], title: str = "Export",
               progress=None) -> int:
    """Write an XLSX file in write-only mode (constant memory); returns the number of rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=secure_filename(title)[:31] or "Export")
    sheet.append([cell_value(c, for_xlsx=True) for c in header])
    count = 0
    for row in rows:
        sheet.append([cell_value(c, for_xlsx=True) for c in row])
        count += 1
        if progress is not None and count % BATCH == 0:
            progress(count)
    workbook.save(path)
    return count


def stream_file(path: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """Stream a temporary file, deleting it afterwards (even if the client goes away)."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def export_rows(view, query) -> Iterator[list]:
    """Rows of cells of `view`'s export columns, read in batches of BATCH."""
    columns = [name for name, _label in view._export_columns]
    for model in query.yield_per(BATCH):
        yield [view.get_export_value(model, name) for name in columns]


def export_query(view):
    """The list's query with the request's search, filters and sort, unpaginated (and its count)."""
    args = view._get_list_extra_args()
    sort = view._get_column_by_idx(args.sort)
    _count, query = view.get_list(0, sort[0] if sort else None, args.sort_desc, args.search, args.filters,
                                  execute=False, page_size=0)
    return query


class GridExportMixin:
    """Streamed, formula-safe CSV/XLSX export of a Flask-Admin list (put it before ModelView)."""

    export_types = list(EXPORT_TYPES)

    def export_filename(self, export_type: str) -> str:
        return secure_filename(f"{self.endpoint}_{datetime.now():%Y-%m-%d_%H-%M}.{export_type}")

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        return_url = get_redirect_target() or self.get_url(".index_view")
        if not self.can_export or export_type not in EXPORT_TYPES or export_type not in self.export_types:
            flash("Vous n'avez pas le droit d'exporter cette liste dans ce format.", "error")
            return redirect(return_url)
        query = export_query(self)
        threshold = current_app.config.get("GRID_EXPORT_ASYNC_ROWS", ASYNC_ROWS)
        if current_app.config.get("REDIS_URL") and query.order_by(None).count() > threshold:
            from .grid_jobs import start_export
            token = start_export(self, export_type, request.query_string.decode())
            if token is not None:
                return redirect(self.get_url("grid_exports.progress", token=token))
            flash("La file des tâches est indisponible : l'export est produit directement.", "warning")
        header = [label for _name, label in self._export_columns]
        filename = self.export_filename(export_type)
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if export_type == "csv":
            lines = csv_lines(header, export_rows(self, query))
            return Response(stream_with_context(line.encode("utf-8") for line in lines),
                            mimetype=MIMETYPES["csv"], headers=headers)
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        write_xlsx(path, header, export_rows(self, query), title=str(self.name))
        return Response(stream_file(path), mimetype=MIMETYPES["xlsx"], headers=headers)

