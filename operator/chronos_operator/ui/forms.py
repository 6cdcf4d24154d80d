"""Creating and editing a job: the form of common fields, full YAML, or Chronos JSON.

All three end in the same model (`validate_spec` / `from_chronos_json`), so errors name the field
(`spec.schedule: ...`) whichever way the job was written. The form edits a copy of the stored
spec, so fields it does not show are kept, never dropped (Chronos' UI lost container settings
on edit, mesos/chronos#641).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from chronos_operator.model.chronos import from_chronos_json, to_chronos_json
from chronos_operator.model.errors import Problem, SpecError
from chronos_operator.model.resource import API_VERSION, KIND
from chronos_operator.model.spec import ChronosJobSpec, validate_spec

# (field, label, help): the form's fields, all top-level spec fields.
FORM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "the Chronos name, e.g. hostings_daily_load"),
    ("command", "Command", "run by /bin/sh -c"),
    (
        "schedule",
        "Schedule",
        "ISO 8601 R[n]/[start]/period, e.g. R/2024-01-01T02:00:00Z/P1D; empty with parents",
    ),
    ("scheduleTimeZone", "Time zone", "IANA name or Java id, e.g. Europe/Paris or PST"),
    ("parents", "Parents", "Chronos names, comma-separated, instead of a schedule"),
    ("epsilon", "Epsilon", "how late a run may still start, e.g. PT30M"),
    ("retries", "Retries", "extra attempts after a failure (default 2)"),
    ("owner", "Owner", "e-mail addresses to notify"),
    ("description", "Description", ""),
)
TEXT_FIELDS = ("name", "command", "schedule", "scheduleTimeZone", "epsilon", "owner", "description")


@dataclass
class Outcome:
    """A parsed submission: the spec, or the problems, each naming its field."""

    spec: ChronosJobSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def by_field(self) -> dict[str, str]:
        """Form field -> its first problem (`spec.schedule` -> `schedule`)."""
        found: dict[str, str] = {}
        for p in self.problems:
            name = p.field.removeprefix("spec.").split(".")[0].split("[")[0]
            found.setdefault(name, p.message)
        return found


def form_values(spec: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields filled from a stored spec."""
    values = {name: str(spec.get(name) or "") for name in TEXT_FIELDS}
    values["parents"] = ", ".join(spec.get("parents") or [])
    values["retries"] = "" if spec.get("retries") is None else str(spec.get("retries"))
    values["disabled"] = "on" if spec.get("disabled") else ""
    return values


def overlay(stored: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """`stored` with the form's fields applied: an empty field removes the key (its default
    applies), every field the form does not show is kept as it was."""
    spec = dict(stored)
    for name in TEXT_FIELDS:
        value = (form.get(name) or "").strip()
        if value:
            spec[name] = value
        else:
            spec.pop(name, None)
    parents = [p.strip() for p in (form.get("parents") or "").split(",") if p.strip()]
    if parents:
        spec["parents"] = parents
    else:
        spec.pop("parents", None)
    retries = (form.get("retries") or "").strip()
    if retries:
        spec["retries"] = int(retries) if retries.lstrip("-").isdigit() else retries
    else:
        spec.pop("retries", None)
    if form.get("disabled"):
        spec["disabled"] = True
    else:
        spec.pop("disabled", None)
    return spec


def parse_form(stored: Mapping[str, Any], form: Mapping[str, str]) -> Outcome:
    spec = overlay(stored, form)
    if not spec.get("name"):
        return Outcome(problems=[Problem("spec.name", "required: the job's Chronos name")])
    return _validated(spec)


def _validated(spec: Mapping[str, Any]) -> Outcome:
    try:
        return Outcome(spec=validate_spec(spec))
    except SpecError as e:
        return Outcome(problems=e.problems)


def parse_yaml(text: str, fixed_name: str | None = None) -> Outcome:
    """A ChronosJob manifest (or just its spec mapping) as YAML."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return Outcome(problems=[Problem("", f"not valid YAML: {e}")])
    if not isinstance(document, dict):
        return Outcome(problems=[Problem("", "expected a ChronosJob manifest (a YAML mapping)")])
    if "spec" in document:
        raw = document.get("spec")
        meta = document.get("metadata") or {}
    else:
        raw, meta = document, {}
    if not isinstance(raw, dict) or not isinstance(meta, dict):
        return Outcome(problems=[Problem("spec", "must be a mapping")])
    spec = dict(raw)
    if not spec.get("name") and meta.get("name"):
        spec["name"] = str(meta["name"])
    if fixed_name is not None and spec.get("name") != fixed_name:
        return Outcome(
            problems=[Problem("spec.name", f"cannot change {fixed_name!r} on edit: clone the job instead")]
        )
    if not spec.get("name"):
        return Outcome(problems=[Problem("spec.name", "required (or metadata.name)")])
    return _validated(spec)


def parse_json(text: str, fixed_name: str | None = None) -> Outcome:
    """A job in Chronos' JSON, as `POST /scheduler/iso8601` takes it."""
    try:
        body = json.loads(text)
    except ValueError as e:
        return Outcome(problems=[Problem("", f"not valid JSON: {e}")])
    if not isinstance(body, dict):
        return Outcome(problems=[Problem("", "expected a Chronos job: a JSON object")])
    try:
        spec, warnings = from_chronos_json(body)
    except SpecError as e:
        return Outcome(problems=e.problems)
    if fixed_name is not None and spec.name != fixed_name:
        return Outcome(
            problems=[Problem("spec.name", f"cannot change {fixed_name!r} on edit: clone the job instead")]
        )
    return Outcome(spec=spec, warnings=warnings)


def manifest_yaml(namespace: str, name: str, spec: Mapping[str, Any]) -> str:
    document = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": dict(spec),
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def chronos_json(spec: ChronosJobSpec | None, raw: Mapping[str, Any], name: str) -> str:
    if spec is None:
        return json.dumps({**raw, "name": name}, indent=2)
    return json.dumps(to_chronos_json(spec, None, name=name), indent=2)
