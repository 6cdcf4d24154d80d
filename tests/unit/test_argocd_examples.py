"""The Argo CD examples in examples/argocd: Applications that parse and point at real paths, and
ChronosJob manifests that are exactly what kubectl-chronos makes of examples/chronos-jobs.

No Argo CD (nor its Application CRD) runs in the tests, so the Applications are checked for
shape only; tests/integration/test_argocd.py applies the jobs themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chronos_operator import labels
from chronos_operator.cli.main import main as kubectl_chronos
from chronos_operator.model.spec import validate_spec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "argocd"
JOBS = EXAMPLES / "jobs"


def application(name: str) -> dict[str, Any]:
    docs = list(yaml.safe_load_all((EXAMPLES / name).read_text()))
    assert len(docs) == 1
    app: dict[str, Any] = docs[0]
    assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
    assert app["metadata"]["namespace"] == "argocd"
    assert app["spec"]["destination"]["server"] == "https://kubernetes.default.svc"
    return app


def sync_wave(app: dict[str, Any]) -> int:
    return int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


def test_jobs_application_applies_the_example_jobs_server_side_after_the_operator() -> None:
    app = application("application.yaml")
    source = app["spec"]["source"]
    assert (REPO / source["path"]) == JOBS and JOBS.is_dir()
    options = app["spec"]["syncPolicy"]["syncOptions"]
    assert "ServerSideApply=true" in options
    assert "RespectIgnoreDifferences=true" in options
    assert sync_wave(app) > sync_wave(application("chronos-operator-app.yaml"))


def test_jobs_application_ignores_every_trigger_annotation() -> None:
    ignored = application("application.yaml")["spec"]["ignoreDifferences"]
    assert [(i["group"], i["kind"]) for i in ignored] == [(labels.GROUP, labels.KIND)]
    pointers = set(ignored[0]["jsonPointers"])
    triggers = {labels.RUN_NOW, labels.RUN_ARGUMENTS, labels.MARK_SUCCESS, labels.KILL}
    # JSON Pointer escapes "/" as "~1".
    assert pointers == {"/metadata/annotations/" + t.replace("~", "~0").replace("/", "~1") for t in triggers}


def test_operator_application_installs_the_chart_with_its_crd() -> None:
    app = application("chronos-operator-app.yaml")
    source = app["spec"]["source"]
    assert source["path"] == "charts/chronos-operator"
    assert (REPO / source["path"] / "templates" / "crd.yaml").is_file()
    values = yaml.safe_load(source["helm"]["values"])
    assert values["crds"] == {"enabled": True, "keep": True}
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_both_applications_track_the_same_repository() -> None:
    urls = {
        application(n)["spec"]["source"]["repoURL"] for n in ("application.yaml", "chronos-operator-app.yaml")
    }
    assert len(urls) == 1


@pytest.mark.parametrize("path", sorted(JOBS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_job_is_a_valid_chronosjob(path: Path) -> None:
    (doc,) = yaml.safe_load_all(path.read_text())
    assert doc["apiVersion"] == labels.API_VERSION and doc["kind"] == labels.KIND
    assert doc["metadata"]["name"] == path.stem
    assert "namespace" not in doc["metadata"], "the Application's destination sets the namespace"
    assert "status" not in doc
    validate_spec(doc["spec"])


def test_example_jobs_are_what_kubectl_chronos_imports_from_the_chronos_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the files name their source relative to the repository
    assert kubectl_chronos(["import", "examples/chronos-jobs", "--output-dir", str(tmp_path)]) == 0
    fresh = {p.name: p.read_text() for p in tmp_path.glob("*.yaml")}
    checked_in = {p.name: p.read_text() for p in JOBS.glob("*.yaml")}
    assert checked_in == fresh, (
        "regenerate: kubectl-chronos import examples/chronos-jobs --output-dir examples/argocd/jobs"
    )
