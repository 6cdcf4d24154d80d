"""The CRD generated from the model: structural, deterministic, up to date, with the CEL rules,
printer columns and descriptions the contract asks for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel, Field

from chronos_operator.model import crd
from chronos_operator.model.spec import ChronosJobSpec
from chronos_operator.model.structural import UnsupportedSchema, to_structural_schema

REPO = Path(__file__).resolve().parents[2]
# JSONSchemaProps fields (apiextensions v1) plus the x-kubernetes extensions.
ALLOWED_KEYS = {
    "type",
    "description",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return crd.build_crd()


@pytest.fixture(scope="module")
def root(document: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def walk(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}{{}}")


def test_identity(document: dict[str, Any]) -> None:
    spec = document["spec"]
    assert document["metadata"]["name"] == "chronosjobs.chronos.dev"
    assert spec["group"] == "chronos.dev" and spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "ChronosJob",
        "listKind": "ChronosJobList",
        "plural": "chronosjobs",
        "singular": "chronosjob",
        "shortNames": ["chj"],
        "categories": ["chronos"],
    }
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


def test_schema_is_structural(root: dict[str, Any]) -> None:
    assert root["type"] == "object"
    for path, node in walk(root):
        where = path or "<root>"
        assert set(node) <= ALLOWED_KEYS, f"{where}: {set(node) - ALLOWED_KEYS}"
        assert not {"anyOf", "oneOf", "allOf", "not", "$ref", "const", "title", "default"} & set(node), where
        assert (
            node.get("type")
            or node.get("x-kubernetes-preserve-unknown-fields")
            or node.get("x-kubernetes-int-or-string")
        ), f"{where} has no type"
        assert node.get("type") != "null", where
        if "properties" in node:
            assert "additionalProperties" not in node, where
        if "exclusiveMinimum" in node:
            assert isinstance(node["exclusiveMinimum"], bool), where


def test_no_default_is_applied_by_the_api_server(root: dict[str, Any]) -> None:
    assert all("default" not in node for _, node in walk(root))


def test_every_spec_field_is_described(root: dict[str, Any]) -> None:
    spec = root["properties"]["spec"]
    assert set(spec["properties"]) == {
        field.alias or name for name, field in ChronosJobSpec.model_fields.items()
    }
    for path, node in walk(spec, "spec"):
        if not path.endswith(("[]", "{}")):  # fields, not the items of a list of strings
            assert node.get("description"), f"{path} has no description"
    retries = spec["properties"]["retries"]["description"]
    assert "Chronos `retries`" in retries and "backoffLimit" in retries


def test_chronos_field_names(root: dict[str, Any]) -> None:
    properties = root["properties"]["spec"]["properties"]
    for name in (
        "async",
        "scheduleTimeZone",
        "softError",
        "highPriority",
        "environmentVariables",
        "maxCompletionTime",
    ):
        assert name in properties
    assert "async_" not in properties


def test_pod_template_and_status_keep_unknown_fields(root: dict[str, Any]) -> None:
    assert root["properties"]["spec"]["properties"]["podTemplate"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "description": root["properties"]["spec"]["properties"]["podTemplate"]["description"],
    }
    status = root["properties"]["status"]
    assert status["x-kubernetes-preserve-unknown-fields"] is True
    assert {"successCount", "nextRunTime", "scheduleDisplay", "scheduleCursor", "parentCursors"} <= set(
        status["properties"]
    )
    conditions = status["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map" and conditions["x-kubernetes-list-map-keys"] == [
        "type"
    ]
    assert "type" in conditions["items"]["required"]


def test_run_as_user_is_int_or_string(root: dict[str, Any]) -> None:
    node = root["properties"]["spec"]["properties"]["runAsUser"]
    assert node["x-kubernetes-int-or-string"] is True and "type" not in node


def test_enums_and_bounds(root: dict[str, Any]) -> None:
    spec = root["properties"]["spec"]["properties"]
    container = spec["container"]["properties"]
    assert container["type"]["enum"] == ["DOCKER", "MESOS"]
    assert container["network"]["enum"] == ["HOST", "BRIDGE", "USER"]
    assert container["volumes"]["items"]["properties"]["mode"]["enum"] == ["RW", "RO"]
    assert (spec["retries"]["minimum"], spec["retries"]["maximum"]) == (0, 100)
    for field in ("cpus", "mem", "disk", "gpus", "maxCompletionTime"):
        assert spec[field]["minimum"] == 0, field
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        assert (spec[field]["minimum"], spec[field]["maximum"]) == (0, 100)
    assert spec["name"]["pattern"] == "^[A-Za-z0-9_.-]+$"
    assert spec["parents"]["minItems"] == 1 and spec["parents"]["x-kubernetes-list-type"] == "set"
    assert spec["parents"]["items"]["pattern"] == "^[A-Za-z0-9_.-]+$"
    assert spec["fetch"]["items"]["required"] == ["uri"]


def rules(node: dict[str, Any]) -> list[str]:
    return [rule["rule"] for rule in node.get("x-kubernetes-validations", [])]


def test_cel_rules(root: dict[str, Any]) -> None:
    spec = root["properties"]["spec"]
    properties = spec["properties"]
    assert any("self.metadata.name" in rule and "52" in rule for rule in rules(root))
    assert any("in self.spec.parents" in rule for rule in rules(root))
    assert "!has(self.schedule) || !has(self.parents)" in rules(spec)
    assert any("self.uris" in rule and "self.fetch" in rule for rule in rules(spec))
    assert rules(properties["schedule"]) == ["self.matches('^R[0-9]*/[^/]*/P.+$')"]
    assert any("matches" in rule for rule in rules(properties["epsilon"]))
    assert any("'root'" in rule for rule in rules(properties["runAsUser"]))
    assert any("'EQUALS'" in rule for rule in rules(properties["constraints"]["items"]))
    for path, node in walk(root):
        for rule in node.get("x-kubernetes-validations", []):
            assert rule.get("message"), f"{path}: {rule['rule']} has no message"


def test_strings_and_lists_used_by_rules_are_bounded(root: dict[str, Any]) -> None:
    """The API server estimates a rule's cost from maxLength / maxItems; unbounded ones can exceed
    its budget."""
    spec = root["properties"]["spec"]["properties"]
    for field in ("schedule", "epsilon", "name"):
        assert "maxLength" in spec[field], field
    assert "maxItems" in spec["parents"] and "maxLength" in spec["parents"]["items"]
    assert "maxItems" in spec["constraints"] and "maxLength" in spec["constraints"]["items"]["items"]


def test_printer_columns(document: dict[str, Any]) -> None:
    columns = {c["name"]: c for c in document["spec"]["versions"][0]["additionalPrinterColumns"]}
    assert list(columns) == [
        "Schedule",
        "Next Run",
        "Last Success",
        "Last Error",
        "Successes",
        "Errors",
        "Active",
        "Age",
    ]
    assert columns["Schedule"]["jsonPath"] == ".status.scheduleDisplay"
    assert columns["Next Run"]["type"] == "string"  # a date column prints future times as <invalid>
    assert columns["Successes"]["jsonPath"] == ".status.successCount"
    assert columns["Active"]["jsonPath"] == ".status.state"


def test_rendering_is_deterministic() -> None:
    assert crd.generate_files() == crd.generate_files()


def test_committed_files_are_up_to_date() -> None:
    assert crd.main(["--check", "--root", str(REPO)]) == 0


def test_check_reports_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crd.main(["--check", "--root", str(tmp_path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert crd.main(["--root", str(tmp_path)]) == 0
    assert crd.main(["--check", "--root", str(tmp_path)]) == 0
    manifest = yaml.safe_load((tmp_path / crd.MANIFEST_PATH).read_text())
    assert manifest == crd.build_crd()


def test_chart_template_wraps_the_same_crd() -> None:
    text = crd.generate_files()[crd.CHART_PATH]
    lines = text.splitlines()
    assert lines[1] == "{{- if .Values.crds.enabled }}" and lines[-1] == "{{- end }}"
    assert "helm.sh/resource-policy: keep" in text and "{{- if .Values.crds.keep }}" in text
    plain = "\n".join(line for line in lines if "{{" not in line)
    assert yaml.safe_load(plain) == crd.build_crd() | {
        "metadata": {"name": "chronosjobs.chronos.dev", "annotations": {"helm.sh/resource-policy": "keep"}}
    }


# The rewrite rules on small models.


class Inner(BaseModel):
    """Inner doc."""

    x: int = 1


class Sample(BaseModel):
    maybe: Inner | None = Field(None, description="field wins")
    listed: list[Inner] = []
    kind: Literal["only"] = "only"
    either: int | str = 0
    anything: Any = None
    free: dict[str, Any] = {}
    typed: dict[str, int] = {}
    positive: float = Field(1.0, gt=0)
    pair: tuple[str, str] = ("a", "b")


def test_rewrite_rules() -> None:
    schema = to_structural_schema(Sample.model_json_schema(by_alias=True, mode="validation"))
    properties = schema["properties"]
    assert properties["maybe"] == {
        "type": "object",
        "description": "field wins",
        "properties": {"x": {"type": "integer"}},
    }
    assert properties["listed"]["items"]["description"] == "Inner doc."
    assert properties["kind"] == {"type": "string", "enum": ["only"]}
    assert properties["either"] == {"x-kubernetes-int-or-string": True}
    assert properties["anything"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert properties["free"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert properties["typed"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert properties["positive"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    assert properties["pair"]["items"] == {"type": "string"}
    assert "prefixItems" not in properties["pair"]


def test_unsupported_unions_fail_the_generator() -> None:
    class Mixed(BaseModel):
        value: int | list[str] = 0

    with pytest.raises(UnsupportedSchema, match="value"):
        to_structural_schema(Mixed.model_json_schema())


def test_recursive_models_are_cut() -> None:
    class Node(BaseModel):
        children: list[Node] = []

    schema = to_structural_schema(Node.model_json_schema())
    assert schema["properties"]["children"]["items"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_the_resource_reference_names_every_field() -> None:
    doc = (REPO / "docs" / "resource.md").read_text()
    spec = crd.build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    for section in ("spec", "status"):
        for field in spec[section]["properties"]:
            assert f"`{field}`" in doc or f"`{field}[]`" in doc, (
                f"docs/resource.md does not describe {section}.{field}"
            )
    for field in spec["spec"]["properties"]["container"]["properties"]:
        assert f"`{field}`" in doc, f"docs/resource.md does not describe spec.container.{field}"
