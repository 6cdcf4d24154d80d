"""The pydantic base shared by the resource's models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A part of ``spec``: unknown fields are errors and types are strict (the API server refuses
    both too: ``retries: "2"`` is not a number there), fields are read by their Chronos (camelCase)
    names, and dumps use those names. Chronos' own looseness is handled by ``model.chronos``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_attribute_docstrings=False,
    )


class StatusModel(BaseModel):
    """A part of ``status``: unknown fields are ignored, because kopf and later operator versions
    keep their own fields next to ours."""

    model_config = ConfigDict(
        extra="ignore", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )
