"""Reading and writing the CSV files of seeds/data/.

A file starts with one or more "# ..." lines saying where its rows come from,
then a header row; the comment lines are not part of the CSV.
"""
import csv
import io
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_rows(name: str) -> list[dict[str, str]]:
    """The rows of seeds/data/<name> as dicts, values stripped, comment lines skipped."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    return [{key: (value or "").strip() for key, value in row.items()} for row in reader]


def write_rows(path: Path, comments: list[str], fields: list[str], rows: list[dict]) -> None:
    out = io.StringIO()
    for comment in comments:
        out.write(f"# {comment}\n")
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def as_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "oui", "1"):
        return True
    if value in ("false", "non", "0", ""):
        return False
    raise ValueError(f"booléen attendu : {text!r}")
