"""What one referential import did, in counts and rejected lines, and its French summary."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str  # French
    label: str = "ligne"  # what `line` counts: "ligne" of a CSV file, "entrée" of a JSON list

    def __str__(self):
        return f"{self.label} {self.line} : {self.reason}"


@dataclass
class ImportReport:
    """Counts of one import.

    created + updated + unchanged + len(rejected) == lines read: every data line of the
    file is counted once. Inactivations are counted apart: most concern rows absent from
    the file.
    """
    referential: str  # "Formacode", "certifications", "ROME", "communes"
    strict: bool = False
    position_label: str = "ligne"  # how a rejection names its place in the file
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    inactivated_marked: int = 0  # active rows the file marks inactive, inactivated (option given)
    inactivated_absent: int = 0  # active rows absent from the file, inactivated (option given)
    left_active: int = 0  # active rows absent from or marked inactive in the file, left active (no option)
    written: bool = False  # False: nothing was changed in the session (strict mode with rejected lines)
    notes: list[str] = field(default_factory=list)  # what else the import did or left aside, one line each

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(line, reason, self.position_label))

    @property
    def refused(self) -> bool:
        """Strict mode and at least one rejected line: the import wrote nothing."""
        return self.strict and bool(self.rejected)

    def summary(self, max_rejections: int = 50) -> list[str]:
        lines = [f"Import {self.referential} : {self.lines} {self.position_label}(s) lue(s)"]
        if self.ignored_columns:
            lines.append(f"  colonnes ignorées : {', '.join(self.ignored_columns)}")
        lines += [f"  créées : {self.created}", f"  mises à jour : {self.updated}",
                  f"  inchangées : {self.unchanged}", f"  rejetées : {len(self.rejected)}"]
        if self.inactivated_marked or self.inactivated_absent:
            lines.append(f"  inactivées : {self.inactivated_marked + self.inactivated_absent} "
                         f"(marquées inactives dans le fichier : {self.inactivated_marked}, "
                         f"absentes du fichier : {self.inactivated_absent})")
        if self.left_active:
            lines.append(f"  laissées actives bien qu'absentes du fichier ou marquées inactives : {self.left_active}")
        lines += [f"  {note}" for note in self.notes]
        if self.rejected:
            shown = self.rejected[:max_rejections]
            more = len(self.rejected) - len(shown)
            what = "Lignes rejetées" if self.position_label == "ligne" else f"{self.position_label.capitalize()}s rejetées"
            lines.append(f"{what}{f' ({len(shown)} premières)' if more else ''} :")
            lines += [f"  {rejection}" for rejection in shown]
            if more:
                lines.append(f"  ... et {more} autre(s)")
        if self.refused:
            lines.append(f"Mode strict : des {self.position_label}s sont rejetées, rien n'a été enregistré.")
        return lines
