"""The chart's values, schema and Dockerfile agree with each other and with the operator."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from chronos_operator.settings import PREFIX, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "chronos-operator"
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def leaves(values: dict[str, Any], schema: dict[str, Any], path: str = "") -> list[tuple[str, Any]]:
    """(path, schema) of every value, descending while the schema describes the object's keys."""
    found = []
    for key, value in values.items():
        sub = (schema.get("properties") or {}).get(key)
        found.append((f"{path}{key}", sub))
        if sub is not None and isinstance(value, dict) and "properties" in sub:
            found += leaves(value, sub, f"{path}{key}.")
    return found


def env_name(key: str) -> str:
    """What the chart's `snakecase | upper` makes of a settings key."""
    return PREFIX + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def test_every_value_is_described_by_the_schema() -> None:
    missing = [path for path, sub in leaves(VALUES, SCHEMA) if sub is None]
    assert not missing
    undocumented = [path for path, sub in leaves(VALUES, SCHEMA) if sub and not sub.get("description")]
    assert not undocumented


def test_schema_refuses_unknown_keys_where_it_lists_them() -> None:
    def objects(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
        found = [(path, schema)] if "properties" in schema else []
        for key, sub in (schema.get("properties") or {}).items():
            found += objects(sub, f"{path}{key}.")
        return found

    assert [p for p, s in objects(SCHEMA) if s.get("additionalProperties") is not False] == []


def changed(value: Any) -> Any:
    """A valid value different from the chart's default, of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value == "PT60S":
        return "PT61S"
    return f"{value}x" if value != "INFO" else "DEBUG"


@pytest.mark.parametrize("key", sorted(k for k in VALUES["settings"] if k != "logLevel"))
def test_each_setting_reaches_the_operator_under_its_variable(key: str) -> None:
    attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    default = VALUES["settings"][key]
    chart_default = load_settings(
        {env_name(key): str(default).lower() if isinstance(default, bool) else str(default)}
    )
    assert getattr(chart_default, attribute) == getattr(load_settings({}), attribute)  # same default
    other = changed(default)
    raw = str(other).lower() if isinstance(other, bool) else str(other)
    value = getattr(load_settings({env_name(key): raw}), attribute)
    expected = timedelta(seconds=61) if key == "defaultEpsilon" else other
    assert value == expected, f"{env_name(key)} did not change Settings.{attribute}"


def test_log_level_is_a_known_python_level() -> None:
    assert env_name("logLevel") == "CHRONOS_OPERATOR_LOG_LEVEL"
    assert (
        VALUES["settings"]["logLevel"] in SCHEMA["properties"]["settings"]["properties"]["logLevel"]["enum"]
    )


def test_default_settings_match_the_operators_defaults() -> None:
    settings = Settings()
    assert VALUES["settings"]["defaultImage"] == settings.default_image
    assert VALUES["settings"]["jobCreateRate"] == settings.job_create_rate
    assert VALUES["service"]["apiPort"] == settings.api_port
    assert VALUES["service"]["metricsPort"] == settings.metrics_port


def test_image_entry_point_is_the_command_the_chart_runs_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    final_stage = dockerfile.split("\nFROM ")[-1]
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", final_stage, re.M).group(1))  # type: ignore[union-attr]
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    command = json.loads(re.search(r"^\s+command: (\[.+\])$", deployment, re.M).group(1))  # type: ignore[union-attr]
    assert entrypoint == command == ["chronos-operator"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["chronos-operator"] == "chronos_operator.main:main"
    user = re.search(r"^USER (\d+)(?::\d+)?$", final_stage, re.M)
    assert user and int(user.group(1)) != 0
    assert "pip install" not in final_stage and "apt-get" not in final_stage
