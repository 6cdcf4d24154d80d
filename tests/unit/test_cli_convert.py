"""``kubectl-chronos import`` and ``export``."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from chronos_operator.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chronos-jobs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_import_a_folder_of_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", str(EXAMPLES), "--namespace", "batch")
    assert code == 0
    documents = list(yaml.safe_load_all(out))
    assert len(documents) == len(list(EXAMPLES.glob("*.json")))
    names = {d["spec"]["name"]: d["metadata"]["name"] for d in documents}
    assert names["SAMPLE_JOB1"] == "sample-job1"
    assert names["hostings_earnings_summary"] == "hostings-earnings-summary"
    assert all(d["kind"] == "ChronosJob" and d["metadata"]["namespace"] == "batch" for d in documents)
    # the counters in the brief's dependency example are reported, once each, as PATH: field: message
    assert f"{EXAMPLES / 'hostings-earnings-summary.json'}: successCount: ignored" in err
    assert all(line.count(": ") >= 2 for line in err.splitlines())


def test_import_one_file_with_a_list_of_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_json(
        tmp_path / "jobs.json",
        [{"name": "a", "schedule": "R//P1D"}, {"name": "b", "parents": ["a"], "cpus": "0.5"}],
    )
    code, out, _ = run(capsys, "import", str(path))
    assert code == 0
    a, b = yaml.safe_load_all(out)
    assert a["spec"] == {"name": "a", "schedule": "R//P1D"}
    assert b["spec"] == {"name": "b", "parents": ["a"], "cpus": 0.5}
    assert out.startswith(f"# imported from {path}[0] by kubectl-chronos\n")


def test_import_searches_folders_recursively_for_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_json(tmp_path / "team" / "nightly" / "one.json", {"name": "one"})
    write_json(tmp_path / "two.json", {"name": "two"})
    (tmp_path / "README.md").write_text("not a job")
    code, out, _ = run(capsys, "import", str(tmp_path))
    assert code == 0
    assert sorted(d["spec"]["name"] for d in yaml.safe_load_all(out)) == ["one", "two"]


def test_import_to_an_output_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_json(tmp_path / "in" / "job.json", {"name": "My_Job", "schedule": "R//PT1H"})
    code, out, _ = run(capsys, "import", str(source), "--output-dir", str(tmp_path / "out"))
    assert code == 0
    written = tmp_path / "out" / "my-job.yaml"
    assert out.strip() == str(written)
    assert yaml.safe_load(written.read_text())["spec"]["name"] == "My_Job"


def test_import_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"name": "piped", "command": "date"})))
    code, out, _ = run(capsys, "import", "-")
    assert code == 0 and yaml.safe_load(out)["metadata"]["name"] == "piped"


def test_bad_job_is_one_line_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_json(tmp_path / "bad.json", {"name": "bad", "schedule": "R/2024-01-01T00:00:00Z/PT0S"})
    code, out, err = run(capsys, "import", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"{path}: spec.schedule: ") and err.count("\n") == 1


def test_nothing_is_written_when_any_job_is_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_json(tmp_path / "good.json", {"name": "good"})
    bad = write_json(
        tmp_path / "bad.json",
        [{"name": "fine"}, {"name": "x", "container": {"image": "i", "network": "host"}}],
    )
    code, out, err = run(capsys, "import", str(good), str(bad), "--output-dir", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert err == f"{bad}[1]: spec.container.network: must be one of HOST, BRIDGE, USER\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON"),
        ('"a string"', "JSON object"),
        ('{"schedule": "R//P1D"}', "spec.name: required"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, _, err = run(capsys, "import", str(path))
    assert code == 2 and err.startswith(f"{path}: ") and message in err and err.count("\n") == 1


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.json"))
    assert code == 2 and err == f"{tmp_path / 'nope.json'}: no such file or folder\n"


def test_names_that_meet_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_json(tmp_path / "a.json", {"name": "daily_load"})
    second = write_json(tmp_path / "b.json", {"name": "DAILY-load"})
    code, _, err = run(capsys, "import", str(first), str(second))
    assert code == 2
    assert err.startswith(
        f"{second}: metadata.name: 'daily-load' is already used by Chronos job 'daily_load' in {first}"
    )


def test_export_a_manifest_with_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "sample-job1", "namespace": "batch"},
        "spec": {"name": "SAMPLE_JOB1", "schedule": "R10/2012-10-01T05:52:00Z/PT2S", "epsilon": "PT15M"},
        "status": {"successCount": 7, "lastSuccess": "2024-01-01T00:00:00.000Z"},
    }
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(manifest))
    code, out, err = run(capsys, "export", str(path))
    assert code == 0 and err == ""
    job = json.loads(out)
    assert (job["name"], job["schedule"], job["epsilon"]) == (
        "SAMPLE_JOB1",
        "R10/2012-10-01T05:52:00Z/PT2S",
        "PT15M",
    )
    assert (job["successCount"], job["lastSuccess"]) == (7, "2024-01-01T00:00:00.000Z")
    assert list(job)[:3] == ["name", "command", "shell"]


def test_export_a_kubectl_list_uses_metadata_name_when_spec_name_is_unset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "chronos.dev/v1alpha1",
                "kind": "ChronosJob",
                "metadata": {"name": "a"},
                "spec": {},
            },
            {
                "apiVersion": "chronos.dev/v1alpha1",
                "kind": "ChronosJob",
                "metadata": {"name": "b"},
                "spec": {"parents": ["a"]},
            },
        ],
    }
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(listing))
    code, out, _ = run(capsys, "export", str(path))
    assert code == 0
    assert [(j["name"], j.get("parents")) for j in json.loads(out)] == [("a", None), ("b", ["a"])]


def test_export_reports_kubernetes_only_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        yaml.safe_dump(
            {"kind": "ChronosJob", "metadata": {"name": "x"}, "spec": {"podTemplate": {"spec": {}}}}
        )
    )
    code, _, err = run(capsys, "export", str(path))
    assert code == 0 and err == f"{path}: podTemplate: Kubernetes-only; not exported\n"


def test_export_bad_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "kind: ChronosJob\nmetadata: {name: x}\nspec: {retries: 500}\n---\nkind: ChronosJob\nmetadata: "
        "{name: y}\nspec: {}\n"
    )
    code, out, err = run(capsys, "export", str(path))
    assert code == 2 and out == ""
    assert err == f"{path}[0]: spec.retries: must be <= 100\n"


def test_export_to_an_output_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(
        yaml.safe_dump({"kind": "ChronosJob", "metadata": {"name": "x"}, "spec": {"name": "X_1"}})
    )
    code, _, _ = run(capsys, "export", str(path), "--output-dir", str(tmp_path / "json"))
    assert code == 0
    assert json.loads((tmp_path / "json" / "X_1.json").read_text())["name"] == "X_1"


def test_import_then_export_gives_back_the_chronos_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "jobs")
    assert run(capsys, "import", str(tmp_path / "jobs"), "--output-dir", str(tmp_path / "yaml"))[0] == 0
    code, out, _ = run(capsys, "export", str(tmp_path / "yaml"))
    assert code == 0
    exported = {job["name"]: job for job in json.loads(out)}
    for path in EXAMPLES.glob("*.json"):
        original = json.loads(path.read_text())
        job = exported[original["name"]]
        for key in ("command", "schedule", "parents", "scheduleTimeZone", "arguments", "shell", "owner"):
            if key in original:
                assert job[key] == original[key], (path.name, key)


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert "next" in capsys.readouterr().out
    assert main(["import"]) == 2
