"""Problems with a job, each naming the field it is about (``spec.container.network: ...``).

Users meet these messages on the command line, in Events and in status conditions, so every one
says which field is wrong, in the same dotted form the API server uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError


class Problem(NamedTuple):
    """One thing wrong with a job: the dotted field path and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class SpecError(ValueError):
    """A job that is not a valid ChronosJob. ``str()`` is one line naming every problem's field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("SpecError needs at least one problem")
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def field(self) -> str:
        """The field of the first problem."""
        return self.problems[0].field


class FieldError(ValueError):
    """Raised inside a model validator to report ``message`` against ``field``.

    ``field`` is relative to the model that raises it (``volumes[0].hostPath`` in a Container);
    pydantic keeps the exception in the error's context, where :func:`collect_problems` finds it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def join_path(*parts: str | int) -> str:
    """``("spec", "volumes", 0, "mode")`` -> ``spec.volumes[0].mode``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part:
            text += f".{part}" if text and not part.startswith("[") else part
    return text


def collect_problems(error: ValidationError, prefix: str = "spec") -> list[Problem]:
    """Turn pydantic's errors into problems whose fields read like the API server's."""
    problems: list[Problem] = []
    for detail in error.errors():
        loc = [part for part in detail["loc"] if not _is_union_tag(part)]
        ctx = detail.get("ctx") or {}
        raised = ctx.get("error")
        if isinstance(raised, FieldError):
            field = join_path(prefix, *loc, raised.field)
            message = raised.message
        else:
            field = join_path(prefix, *loc)
            message = _explain(detail["type"], detail["msg"], ctx)
        problem = Problem(field, message)
        if problem not in problems:
            problems.append(problem)
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the member type to the location of union errors ("int", "str",
    # "function-after[...]"); they are not field names.
    return isinstance(part, str) and (part in {"int", "str", "float", "bool"} or "[" in part)


def _explain(kind: str, default: str, ctx: dict[str, Any]) -> str:
    """Short messages in the API server's vocabulary for the common cases; pydantic's otherwise."""
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {choices}"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        sign = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
        bound = next(iter(ctx.values()), "")
        return f"must be {sign[kind]} {bound}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern', '')}"
    if kind == "too_short" and ctx.get("field_type") == "List":
        minimum = ctx.get("min_length")
        return "must not be empty" if minimum == 1 else f"must have at least {minimum} items"
    if kind == "too_long" and ctx.get("field_type") == "List":
        return f"must have at most {ctx.get('max_length')} items"
    if kind == "value_error":
        return str(ctx.get("error", default))
    return default[:1].lower() + default[1:]
