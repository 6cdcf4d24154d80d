"""The Argo CD health check (examples/argocd/chronosjob-health.lua) run by lua5.4 on hand-built
ChronosJobs, the JSON -> Lua converter that feeds it, and the copies of the script in the docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.argocd_health import (
    HEALTH_SCRIPT,
    REPO,
    Health,
    LuaError,
    assess,
    lua_string,
    run_lua,
    to_lua,
)

HEALTH_KEY = "resource.customizations.health.chronos.dev_ChronosJob"
CM_PATCH = REPO / "examples" / "argocd" / "argocd-cm-health.yaml"
DOC = REPO / "docs" / "argocd.md"


def probe(value: Any, *expressions: str) -> list[str]:
    """Evaluates Lua expressions on `v`, the converted value; one tostring() result each."""
    lines = [f"local v = {to_lua(value)}"]
    lines += [f'io.write(tostring({e}), "\\n")' for e in expressions]
    return run_lua("\n".join(lines)).splitlines()


# --- the converter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        'say "hi"',
        "back\\slash and \\n not a newline",
        "two\nlines\r\nand a tab\t",
        "caf\u00e9 \u65e5\u672c \U0001f600",
        "\x01" + "23",  # an escape followed by digits must not swallow them
        "]] and ]=] close long brackets",
        "\x00nul inside",
    ],
)
def test_string_literal_reads_back_as_the_same_bytes(text: str) -> None:
    assert run_lua(f"io.write({lua_string(text)})").encode("utf-8", "surrogateescape") == text.encode()


def test_nested_lists_and_objects_index_from_one() -> None:
    value = {"a": [[1, 2], [3]], "b": {"c": {"d": "e"}}, "empty": [], "none": {}}
    assert probe(value, "v.a[1][2]", "#v.a", "#v.a[2]", "v.b.c.d", "#v.empty", "next(v.none)") == [
        "2",
        "2",
        "1",
        "e",
        "0",
        "nil",
    ]


def test_booleans_stay_booleans() -> None:
    assert probe({"t": True, "f": False}, "v.t == true", "v.f == false", "type(v.f)") == [
        "true",
        "true",
        "boolean",
    ]


def test_null_is_an_absent_key_and_a_hole_in_a_list() -> None:
    assert probe({"x": None, "l": [1, None, 3]}, "v.x", "v.l[2]", "v.l[3]") == ["nil", "nil", "3"]


def test_keys_that_are_no_lua_names_are_kept() -> None:
    value = {"chronos.dev/run-now": "a", "end": "b", 'with "quote"': "c", "1": "d"}
    expressions = ['v["chronos.dev/run-now"]', 'v["end"]', 'v["with \\"quote\\""]', 'v["1"]', "v[1]"]
    assert probe(value, *expressions) == ["a", "b", "c", "d", "nil"]


def test_numbers_keep_their_value() -> None:
    assert probe({"i": 9007199254740993, "f": 0.1, "n": -3}, "v.i", "v.f", "v.n") == [
        "9007199254740993",
        "0.1",
        "-3",
    ]


def test_values_without_json_form_are_refused() -> None:
    with pytest.raises(ValueError):
        to_lua(float("nan"))
    with pytest.raises(TypeError):
        to_lua({1, 2})


def test_missing_interpreter_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(LuaError, match=r"lua5\.4 is not on PATH"):
        assess({})


def test_script_using_a_library_argo_cd_does_not_open_fails() -> None:
    script = 'return {status = string.format("%s", "Healthy")}'
    with pytest.raises(LuaError, match="string"):
        assess({}, script)


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ('return "Healthy"', "returned string"),
        ('return {status = "Fine"}', "not an Argo CD health status"),
        ("return {message = 1}", "hs.status is nil"),
        ('return {status = "Healthy", message = 1}', "hs.message is number"),
        ("return {", "chronosjob-health.lua"),
    ],
)
def test_a_broken_script_is_an_error(script: str, error: str) -> None:
    with pytest.raises(LuaError, match=error):
        assess({}, script)


# --- the mapping ----------------------------------------------------------------------------------

NOW = "2026-01-01T00:00:00.000Z"


def cond(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": 1}


def job(status: dict[str, Any] | None = None, generation: int = 1, **spec: Any) -> dict[str, Any]:
    """A ChronosJob as the API server returns it, with the operator's usual status around `status`."""
    body: dict[str, Any] = {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "j", "namespace": "ns", "generation": generation},
        "spec": {"schedule": "R//PT1M", "command": "true", **spec},
    }
    if status is not None:
        body["status"] = {
            "observedGeneration": 1,
            "state": "idle",
            "lastStatus": "fresh",
            "successCount": 0,
            "errorCount": 0,
            "errorsSinceLastSuccess": 0,
            "skippedCount": 0,
            "conditions": [
                cond("Degraded", "False", "AsExpected"),
                cond("Ready", "True", "Scheduling"),
                cond("Exhausted", "False", "RepetitionsLeft"),
            ],
            **status,
        }
    return body


def with_conditions(*conditions: dict[str, Any], **status: Any) -> dict[str, Any]:
    """Status fields whose conditions replace the usual ones of the same type."""
    kinds = {c["type"] for c in conditions}
    base = [c for c in job({})["status"]["conditions"] if c["type"] not in kinds]
    return {**status, "conditions": base + list(conditions)}


POLICY = (
    "spec.container.network: HOST (host network) is not allowed by the operator's policy "
    "(CHRONOS_OPERATOR_ALLOW_HOST_NETWORK)"
)


def test_a_job_the_operator_has_not_seen_is_progressing() -> None:
    assert assess(job()) == Health("Progressing", "waiting for chronos-operator to act on the job")


def test_a_status_without_observed_generation_is_progressing() -> None:
    body = job({})
    del body["status"]["observedGeneration"]
    assert assess(body).status == "Progressing"


def test_an_edit_the_operator_has_not_acted_on_is_progressing_even_when_degraded() -> None:
    body = job(with_conditions(cond("Degraded", "True", "PolicyDenied", POLICY)), generation=2)
    assert assess(body) == Health(
        "Progressing", "waiting for chronos-operator to act on generation 2 (last acted on 1)"
    )


def test_a_refused_spec_is_degraded_with_reason_and_message() -> None:
    body = job(with_conditions(cond("Degraded", "True", "PolicyDenied", POLICY)))
    assert assess(body) == Health("Degraded", f"PolicyDenied: {POLICY}")


def test_degraded_wins_over_disabled() -> None:
    body = job(
        with_conditions(cond("Degraded", "True", "UnknownTimeZone", "spec.scheduleTimeZone: x")),
        disabled=True,
    )
    assert assess(body) == Health("Degraded", "UnknownTimeZone: spec.scheduleTimeZone: x")


def test_ready_false_without_degraded_is_degraded() -> None:
    body = job(with_conditions(cond("Ready", "False", "Something", "")))
    assert assess(body) == Health("Degraded", "Something")


def test_a_disabled_job_is_suspended_even_after_a_failure() -> None:
    body = job(with_conditions(lastStatus="failure", lastError=NOW), disabled=True)
    assert assess(body).status == "Suspended"


def test_a_missing_parent_is_progressing() -> None:
    message = "spec.parents: no ChronosJob named up in this namespace; the job waits for it"
    body = job(with_conditions(cond("ParentsReady", "False", "ParentNotFound", message)), parents=["up"])
    del body["spec"]["schedule"]
    assert assess(body) == Health("Progressing", f"ParentNotFound: {message}")


def test_a_fresh_scheduled_job_is_healthy_with_its_next_run() -> None:
    assert assess(job({"nextRunTime": NOW})) == Health("Healthy", f"no run finished yet; next run at {NOW}")


def test_a_running_job_is_healthy_not_progressing() -> None:
    body = job({"state": "2 running", "lastStatus": "success", "lastSuccess": NOW, "nextRunTime": NOW})
    assert assess(body) == Health("Healthy", f"2 running; last run succeeded at {NOW}; next run at {NOW}")


def test_a_failed_last_run_is_degraded_until_the_next_success() -> None:
    failed = job({"lastStatus": "failure", "lastError": NOW, "errorsSinceLastSuccess": 3, "nextRunTime": NOW})
    assert assess(failed) == Health(
        "Degraded", f"last run failed at {NOW}; 3 failures since the last success; next run at {NOW}"
    )
    recovered = job({"lastStatus": "success", "lastSuccess": NOW, "lastError": "2025-01-01T00:00:00.000Z"})
    assert assess(recovered) == Health("Healthy", f"last run succeeded at {NOW}")


def test_an_exhausted_job_is_healthy_and_says_it_finished() -> None:
    body = job(
        with_conditions(
            cond("Exhausted", "True", "RepetitionsUsed", "all 10 occurrences are in the past"),
            lastStatus="success",
            lastSuccess=NOW,
            remainingRuns=0,
        )
    )
    assert assess(body) == Health(
        "Healthy", f"last run succeeded at {NOW}; finished: all 10 occurrences are in the past"
    )


def test_an_exhausted_job_whose_last_run_failed_is_degraded() -> None:
    body = job(
        with_conditions(
            cond("Exhausted", "True", "RepetitionsUsed", "all occurrences of the schedule are used"),
            lastStatus="failure",
            lastError=NOW,
            errorsSinceLastSuccess=1,
        )
    )
    assert assess(body) == Health(
        "Degraded", f"last run failed at {NOW}; finished: all occurrences of the schedule are used"
    )


def test_a_dependency_job_is_healthy_and_waits_for_its_parents() -> None:
    body = job(with_conditions(cond("ParentsReady", "True", "ParentsFound")), parents=["up"])
    del body["spec"]["schedule"]
    assert assess(body) == Health("Healthy", "no run finished yet; runs after its parents")


def test_skipped_occurrences_are_mentioned() -> None:
    assert assess(job({"skippedCount": 2, "nextRunTime": NOW})).message.endswith("2 occurrence(s) skipped")


# --- the copies of the script ---------------------------------------------------------------------


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", markdown, flags=re.DOTALL | re.MULTILINE)


def test_argocd_cm_patch_holds_the_script_unchanged() -> None:
    patch = yaml.safe_load(CM_PATCH.read_text())
    assert patch == {"data": {HEALTH_KEY: HEALTH_SCRIPT.read_text()}}


def test_docs_show_the_argocd_cm_patch_as_it_is_in_the_repository() -> None:
    blocks = [b for b in yaml_blocks(DOC.read_text()) if HEALTH_KEY in b]
    assert blocks == [CM_PATCH.read_text()], "docs/argocd.md's argocd-cm block differs from " + str(
        CM_PATCH.relative_to(REPO)
    )


def test_health_script_file_is_the_one_the_harness_runs() -> None:
    assert Path(HEALTH_SCRIPT).is_file() and "return hs" in HEALTH_SCRIPT.read_text()
