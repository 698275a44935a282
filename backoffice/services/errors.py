"""The refusal every service raises (services/actions.py re-exports it, where callers import it from)."""
from __future__ import annotations


class ServiceError(Exception):
    """A refused change. `errors` lists (form field or None, French message); `forbidden`
    marks a permission refusal (403) rather than a correctable input."""

    def __init__(self, message: str | None = None, field: str | None = None,
                 errors: list[tuple[str | None, str]] | None = None, forbidden: bool = False):
        self.errors = list(errors or [(field, message)])
        self.message = message or " ".join(m for _f, m in self.errors)
        self.field = field if field is not None else self.errors[0][0]
        self.forbidden = forbidden
        super().__init__(self.message)
