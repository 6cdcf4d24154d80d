"""A whole ChronosJob object (apiVersion, kind, metadata, spec, status), as read from the API
server or from a manifest file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import FieldError, Problem, SpecError, collect_problems
from .resource import API_VERSION, KIND, MAX_NAME_LENGTH
from .spec import ChronosJobSpec
from .status import ChronosJobStatus


class ChronosJob(BaseModel):
    """A ChronosJob object. ``metadata`` stays a plain mapping: the operator reads only a few keys."""

    model_config = ConfigDict(extra="ignore")

    apiVersion: str = API_VERSION
    kind: str = KIND
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: ChronosJobSpec
    status: ChronosJobStatus | None = None

    @model_validator(mode="after")
    def _check_object(self) -> ChronosJob:
        name = self.metadata.get("name")
        if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
            raise FieldError(
                "metadata.name",
                f"must be at most {MAX_NAME_LENGTH} characters (run Jobs are named <name>-<10 digit "
                "seconds>, "
                "at most 63); keep the Chronos name in spec.name",
            )
        if isinstance(name, str) and self.spec.parents and self.chronos_name in self.spec.parents:
            raise FieldError("spec.parents", f"job {self.chronos_name!r} cannot be its own parent")
        return self

    @property
    def chronos_name(self) -> str:
        """The Chronos name: spec.name, else metadata.name."""
        return self.spec.chronos_name(str(self.metadata.get("name", "")))

    @property
    def namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) else None


def parse_chronos_job(document: Mapping[str, Any]) -> ChronosJob:
    """Validate a ChronosJob object (a manifest or what the API server returned).

    SpecError whose problems name the field (``spec.schedule``, ``metadata.name``, ``kind``).
    """
    problems: list[Problem] = []
    if document.get("apiVersion") not in (None, API_VERSION):
        problems.append(Problem("apiVersion", f"must be {API_VERSION}, not {document.get('apiVersion')!r}"))
    if document.get("kind") not in (None, KIND):
        problems.append(Problem("kind", f"must be {KIND}, not {document.get('kind')!r}"))
    if problems:
        raise SpecError(problems)
    try:
        return ChronosJob.model_validate(document)
    except ValidationError as e:
        raise SpecError(collect_problems(e, prefix="")) from None
