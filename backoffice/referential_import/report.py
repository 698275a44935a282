"""What one referential import did, in counts and rejected lines, and its French summary."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str  # French

    def __str__(self):
        return f"ligne {self.line} : {self.reason}"


@dataclass
class ImportReport:
    """Counts of one import.

    created + updated + unchanged + len(rejected) == lines read: every data line of the
    file is counted once. Inactivations are counted apart: most concern rows absent from
    the file.
    """
    referential: str  # "Formacode", "certifications"
    strict: bool = False
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

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(line, reason))

    @property
    def refused(self) -> bool:
        """Strict mode and at least one rejected line: the import wrote nothing."""
        return self.strict and bool(self.rejected)

    def summary(self, max_rejections: int = 50) -> list[str]:
        lines = [f"Import {self.referential} : {self.lines} ligne(s) lue(s)"]
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
        if self.rejected:
            shown = self.rejected[:max_rejections]
            more = len(self.rejected) - len(shown)
            lines.append(f"Lignes rejetées{f' ({len(shown)} premières)' if more else ''} :")
            lines += [f"  {rejection}" for rejection in shown]
            if more:
                lines.append(f"  ... et {more} autre(s)")
        if self.refused:
            lines.append("Mode strict : des lignes sont rejetées, rien n'a été enregistré.")
        return lines
