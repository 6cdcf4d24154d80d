"""kubectl-chronos against a real API server, run the way users run it: as a process, and as a
kubectl plugin (``kubectl chronos ...``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chronos-jobs"


def chronos(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chronos_operator.cli.main", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_imported_examples_apply_and_export_back(
    cluster: Any, crd: Path, namespace: str, tmp_path: Path
) -> None:
    imported = chronos(
        "import", str(EXAMPLES), "--namespace", namespace, "--output-dir", str(tmp_path / "yaml")
    )
    assert imported.returncode == 0, imported.stderr
    cluster.kubectl("apply", "-f", str(tmp_path / "yaml"))
    listed = cluster.kubectl("get", "chj", "-n", namespace, "-o", "yaml").stdout
    exported = chronos("export", "-", stdin=listed)
    assert exported.returncode == 0, exported.stderr
    jobs = {job["name"]: job for job in json.loads(exported.stdout)}
    for path in EXAMPLES.glob("*.json"):
        original = json.loads(path.read_text())
        job = jobs[original["name"]]
        for key in (
            "command",
            "schedule",
            "parents",
            "epsilon",
            "arguments",
            "environmentVariables",
            "owner",
        ):
            if key in original:
                assert job[key] == original[key], (path.name, key)


def test_import_stdout_pipes_into_kubectl_apply(
    cluster: Any, crd: Path, namespace: str, tmp_path: Path
) -> None:
    source = tmp_path / "jobs.json"
    source.write_text(
        json.dumps(
            [
                {"name": "Piped_Job", "schedule": "R//PT1H", "cpus": "0.25"},
                {"name": "child", "parents": ["Piped_Job"]},
            ]
        )
    )
    imported = chronos("import", str(source), "--namespace", namespace)
    assert imported.returncode == 0, imported.stderr
    cluster.kubectl("apply", "-f", "-", input=imported.stdout)
    stored = json.loads(cluster.kubectl("get", "chj", "piped-job", "-n", namespace, "-o", "json").stdout)
    assert stored["spec"] == {"name": "Piped_Job", "schedule": "R//PT1H", "cpus": 0.25}


def test_a_bad_job_json_is_refused_before_it_reaches_the_cluster(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "bad", "schedule": "R/2024-01-01T00:00:00Z/P1D", "scheduleTimeZone": "Moon/Base"})
    )
    result = chronos("import", str(bad))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{bad}: spec.scheduleTimeZone: ") and result.stderr.count("\n") == 1


def test_export_takes_counters_from_status(cluster: Any, crd: Path, namespace: str) -> None:
    body = {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "counted", "namespace": namespace},
        "spec": {"name": "COUNTED", "schedule": "R//P1D"},
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(body))
    cluster.kubectl(
        "patch",
        "chj",
        "counted",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"successCount": 3, "errorCount": 1, "lastError": "2024-01-01T00:00:00.000Z"}}),
    )
    manifest = cluster.kubectl("get", "chj", "counted", "-n", namespace, "-o", "yaml").stdout
    result = chronos("export", "-", stdin=manifest)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert (job["name"], job["successCount"], job["errorCount"], job["lastError"]) == (
        "COUNTED",
        3,
        1,
        "2024-01-01T00:00:00.000Z",
    )


def test_next_uses_the_objects_creation_time_for_an_empty_start(
    cluster: Any, crd: Path, namespace: str, tmp_path: Path
) -> None:
    body = {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "relative", "namespace": namespace},
        "spec": {"schedule": "R2//PT1H"},
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(body))
    path = tmp_path / "relative.yaml"
    path.write_text(cluster.kubectl("get", "chj", "relative", "-n", namespace, "-o", "yaml").stdout)
    created = yaml.safe_load(path.read_text())["metadata"]["creationTimestamp"]
    result = chronos("next", "-f", str(path), "--after", "2000-01-01T00:00:00Z")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == created


def test_kubectl_finds_the_plugin(cluster: Any) -> None:
    plugin = shutil.which("kubectl-chronos", path=str(Path(sys.executable).parent))
    if plugin is None:
        pytest.skip("kubectl-chronos is not installed next to this Python")
    env = {
        **os.environ,
        "PATH": f"{Path(plugin).parent}{os.pathsep}{cluster.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        [
            str(cluster.bin_dir / "kubectl"),
            "chronos",
            "next",
            "R5/2008-03-01T13:00:00Z/P1D",
            "-n",
            "3",
            "--after",
            "2008-03-01T00:00:00Z",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2008-03-01T13:00:00Z",
        "2008-03-02T13:00:00Z",
        "2008-03-03T13:00:00Z",
    ]
