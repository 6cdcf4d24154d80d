"""Chronos names -> Kubernetes names, and manifests built from a spec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronos_operator.model.names import build_manifest, is_valid_kubernetes_name, kubernetes_name
from chronos_operator.model.resource import MAX_NAME_LENGTH
from chronos_operator.model.spec import validate_spec

CHRONOS_NAMES = st.from_regex(r"\A[A-Za-z0-9_.-]{1,300}\Z")


@pytest.mark.parametrize(
    ("chronos", "kubernetes"),
    [
        ("hostings_daily_load", "hostings-daily-load"),
        ("SAMPLE_JOB1", "sample-job1"),
        ("my-docker-job", "my-docker-job"),
        ("etl.daily", "etl.daily"),
        ("a", "a"),
    ],
)
def test_lowercase_and_underscores_keep_the_name_readable(chronos: str, kubernetes: str) -> None:
    assert kubernetes_name(chronos) == kubernetes


@pytest.mark.parametrize("chronos", ["_private", "job_", "a..b", "my job!", "über", "x" * 60, "___", "a.-b"])
def test_lossy_mappings_get_a_hash(chronos: str) -> None:
    name = kubernetes_name(chronos)
    assert is_valid_kubernetes_name(name), name
    suffix = name.rsplit("-", 1)[1]
    assert len(suffix) == 6 and all(c in "0123456789abcdef" for c in suffix), name


def test_the_hash_tells_lossy_names_apart() -> None:
    assert kubernetes_name("a b") != kubernetes_name("a!b")
    assert kubernetes_name("x" * 60) != kubernetes_name("x" * 61)


def test_long_names_fit_run_job_names() -> None:
    name = kubernetes_name("a_very_long_chronos_job_name_that_goes_on_and_on_and_on_forever")
    assert len(name) <= MAX_NAME_LENGTH
    assert len(f"{name}-1700000000") <= 63


@given(CHRONOS_NAMES)
def test_every_chronos_name_maps_to_a_valid_kubernetes_name(chronos: str) -> None:
    name = kubernetes_name(chronos)
    assert is_valid_kubernetes_name(name), name
    assert kubernetes_name(chronos) == name  # deterministic


@given(CHRONOS_NAMES, CHRONOS_NAMES)
def test_names_meet_only_when_they_differ_by_case_and_underscores(a: str, b: str) -> None:
    if kubernetes_name(a) == kubernetes_name(b):
        assert a.lower().replace("_", "-") == b.lower().replace("_", "-")


def test_build_manifest() -> None:
    spec = validate_spec(
        {"name": "SAMPLE_JOB1", "schedule": "R10/2012-10-01T05:52:00Z/PT2S", "mem": 512, "retries": 2}
    )
    manifest = build_manifest(spec, namespace="batch")
    assert manifest == {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "sample-job1", "namespace": "batch"},
        "spec": {"name": "SAMPLE_JOB1", "schedule": "R10/2012-10-01T05:52:00Z/PT2S", "mem": 512},
    }
    assert isinstance(manifest["spec"]["mem"], int)
    assert "namespace" not in build_manifest(spec)["metadata"]


def test_build_manifest_needs_the_chronos_name() -> None:
    with pytest.raises(ValueError, match=r"spec\.name"):
        build_manifest(validate_spec({}))
