"""The one error type for bad schedule input."""

from __future__ import annotations

_MAX_QUOTED = 80


class ScheduleError(ValueError):
    """Bad schedule input. ``str(e)`` says what is wrong and where; ``field`` names the spec field."""

    field: str

    def __init__(self, message: str, field: str = "schedule") -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple[type[ScheduleError], tuple[str, str]]:
        # Keep the field when the error is pickled (the default would rebuild it from args alone).
        return type(self), (str(self), self.field)


class InvalidText(Exception):
    """Raised by the low-level parsers; public callers turn it into a ScheduleError with context."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def quote(text: str) -> str:
    """Quote user text for a message: short, one line, control characters escaped."""
    shown = text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "…"
    if shown.isprintable() and "'" not in shown:
        return f"'{shown}'"
    return repr(shown)
