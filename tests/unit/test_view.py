"""The View: the in-memory ChronosJobs and runs that the watch feeds and `decide` reads. Its status is
the operator's own after the first sighting; stale or reordered watch events never roll it back."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chronos_operator import labels
from chronos_operator.kube.jobs import policy_problems
from chronos_operator.model.errors import SpecError
from chronos_operator.model.spec import ChronosJobSpec, validate_spec
from chronos_operator.scheduler.decide import decide
from chronos_operator.scheduler.view import Key, View, owner_of
from chronos_operator.settings import Settings

SETTINGS = Settings()
NAMESPACE = "team-a"
NAME = "report"
KEY: Key = (NAMESPACE, NAME)
UID = "0b7c7a52-0000-4000-8000-00000000000a"
OLD_UID = "0b7c7a52-0000-4000-8000-0000000000ff"
HOURLY = "R/2026-01-01T00:00:00Z/PT1H"
HOST_NETWORK = {"schedule": HOURLY, "container": {"type": "DOCKER", "image": "x", "network": "HOST"}}


def parse_spec(raw: Mapping[str, Any], name: str) -> tuple[ChronosJobSpec | None, str | None]:
    """What the operator gives the view (chronos_operator.main.parse_spec)."""
    try:
        return validate_spec(raw), None
    except SpecError as e:
        return None, str(e)


def check_policy(spec: Any) -> str | None:
    problems = policy_problems(spec, SETTINGS)
    return "; ".join(problems) if problems else None


class Recorder:
    """The view's on_change callback: which keys changed, in order."""

    def __init__(self) -> None:
        self.keys: list[Key] = []

    def __call__(self, key: Key) -> None:
        self.keys.append(key)


def new_view() -> tuple[View, Recorder]:
    changes = Recorder()
    return View(parse_spec, check_policy, changes), changes


def chronosjob(
    *,
    uid: str = UID,
    rv: str = "100",
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    generation: int = 1,
    created: str = "2026-03-01T11:59:30Z",
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": labels.API_VERSION,
        "kind": labels.KIND,
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "uid": uid,
            "resourceVersion": rv,
            "generation": generation,
            "creationTimestamp": created,
            "labels": {"team": "a"},
            "annotations": dict(annotations or {}),
        },
        "spec": dict({"schedule": HOURLY} if spec is None else spec),
    }
    if status is not None:
        body["status"] = dict(status)
    return body


def run_job(
    name: str,
    *,
    owner_uid: str = UID,
    uid: str | None = None,
    rv: str = "1",
    complete: str | None = None,
    recorded: bool = False,
    owner: str = NAME,
) -> dict[str, Any]:
    """A batch/v1 Job of a scheduled run due at 12:00."""
    annotations = {
        labels.SCHEDULED_TIME: "2026-03-01T12:00:00.000Z",
        labels.TASK_ID: "ct:1772366400000:0:report:",
    }
    if recorded:
        annotations[labels.RECORDED] = "true"
    status: dict[str, Any] = {"startTime": "2026-03-01T12:00:02Z"}
    if complete:
        status["completionTime"] = complete
        status["conditions"] = [{"type": "Complete", "status": "True"}]
    else:
        status["active"] = 1
    job_labels = {labels.TRIGGER_LABEL: "schedule"}
    if owner:
        job_labels[labels.JOB_LABEL] = owner
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid or f"uid-{name}",
            "resourceVersion": rv,
            "creationTimestamp": "2026-03-01T12:00:02Z",
            "labels": job_labels,
            "annotations": annotations,
            "ownerReferences": [
                {"apiVersion": labels.API_VERSION, "kind": labels.KIND, "name": NAME, "uid": owner_uid}
            ],
        },
        "status": status,
    }


def snapshot_of(view: View) -> Any:
    snap = view.snapshot(KEY)
    assert snap is not None
    return snap


# --- ChronosJobs --------------------------------------------------------------------------------------


def test_first_sighting_takes_identity_spec_and_status_from_the_object() -> None:
    view, changes = new_view()
    status = {"successCount": 4, "skippedCount": 1}

    key = view.upsert_job(chronosjob(status=status, generation=3))

    snap = snapshot_of(view)
    assert key == KEY and changes.keys == [KEY]
    assert (snap.namespace, snap.name, snap.uid, snap.generation) == (NAMESPACE, NAME, UID, 3)
    assert snap.created == datetime(2026, 3, 1, 11, 59, 30, tzinfo=UTC)
    assert snap.spec.schedule == HOURLY
    assert snap.spec_error is None and snap.policy_error is None
    assert snap.status == status
    assert view.jobs[KEY].written == status
    assert snap.runs == ()
    assert view.keys() == [KEY]


def test_invalid_spec_is_kept_as_its_error_message() -> None:
    view, _ = new_view()

    view.upsert_job(chronosjob(spec={"schedule": HOURLY, "cpus": -1}))

    snap = snapshot_of(view)
    assert snap.spec is None
    assert snap.spec_error is not None and snap.spec_error.startswith("spec.cpus")
    assert snap.policy_error is None


def test_spec_the_policy_forbids_carries_the_policy_error() -> None:
    view, _ = new_view()

    view.upsert_job(chronosjob(spec=HOST_NETWORK))

    snap = snapshot_of(view)
    assert snap.spec is not None and snap.spec_error is None
    assert snap.policy_error is not None and snap.policy_error.startswith("spec.container.network")


def test_newer_event_updates_spec_generation_labels_and_annotations() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob(rv="100"))

    newer = chronosjob(rv="101", spec=HOST_NETWORK, generation=2, annotations={labels.RUN_NOW: "t1"})
    view.upsert_job(newer)

    snap = snapshot_of(view)
    entry = view.jobs[KEY]
    assert snap.generation == 2
    assert snap.spec.container is not None
    assert snap.policy_error is not None  # recomputed for the new spec
    assert entry.annotations == {labels.RUN_NOW: "t1"}
    assert entry.labels == {"team": "a"}
    assert entry.resource_version == "101"
    assert changes.keys == [KEY, KEY]


def test_older_event_never_overwrites_a_newer_one() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob(rv="101", spec={"schedule": HOURLY, "disabled": True}, generation=2))

    view.upsert_job(chronosjob(rv="100", spec={"schedule": HOURLY}, generation=1))

    snap = snapshot_of(view)
    assert snap.spec.disabled is True
    assert snap.generation == 2
    assert view.jobs[KEY].resource_version == "101"
    assert changes.keys == [KEY]  # the stale event changed nothing, so nothing to decide


def test_watch_events_never_replace_the_views_status_after_the_first_sighting() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob(rv="100", status={"skippedCount": 1}))
    ours = {"skippedCount": 2, "scheduleCursor": {"expression": f"{HOURLY}|", "lastIndex": 1428}}
    view.jobs[KEY].status = ours  # an applied plan
    view.jobs[KEY].written = ours

    # A later event still carrying the status from before the write (and one with none at all).
    view.upsert_job(chronosjob(rv="101", status={"skippedCount": 1}, generation=2))
    view.upsert_job(chronosjob(rv="102", generation=3))

    snap = snapshot_of(view)
    assert snap.status == ours
    assert view.jobs[KEY].written == ours
    assert snap.generation == 3


def test_chronosjob_recreated_under_the_same_name_starts_from_its_own_status() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob(uid=OLD_UID, rv="500", status={"successCount": 9}))

    view.upsert_job(chronosjob(uid=UID, rv="20", created="2026-03-02T08:00:00Z"))  # lower rv, new object

    snap = snapshot_of(view)
    assert snap.uid == UID
    assert snap.status == {}
    assert snap.created == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert changes.keys == [KEY, KEY]


def test_runs_of_a_deleted_and_recreated_chronosjob_are_not_in_the_snapshot() -> None:
    view, _ = new_view()
    view.upsert_run(run_job("report-1772366400", owner_uid=OLD_UID))
    view.upsert_job(chronosjob(uid=UID))
    view.upsert_run(run_job("report-1772370000", owner_uid=UID))

    snap = snapshot_of(view)

    assert [r.name for r in snap.runs] == ["report-1772370000"]


def test_delete_job_removes_it_and_reports_the_change() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob())

    view.delete_job(NAMESPACE, NAME)
    view.delete_job(NAMESPACE, NAME)  # already gone: no change
    view.delete_job(NAMESPACE, "other")

    assert view.snapshot(KEY) is None
    assert view.keys() == []
    assert changes.keys == [KEY, KEY]


def test_snapshot_of_an_unknown_job_is_none() -> None:
    view, _ = new_view()

    assert view.snapshot(KEY) is None


# --- runs ---------------------------------------------------------------------------------------------


def test_runs_seen_before_their_chronosjob_are_in_its_snapshot() -> None:
    view, changes = new_view()
    view.upsert_run(run_job("report-1772366400"))

    view.upsert_job(chronosjob())

    snap = snapshot_of(view)
    assert [(r.name, r.owner_uid, r.active) for r in snap.runs] == [("report-1772366400", UID, True)]
    assert changes.keys == [KEY, KEY]


def test_run_without_an_owner_reference_still_belongs_to_its_labelled_job() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())
    body = run_job("report-1772366400")
    body["metadata"]["ownerReferences"] = []

    view.upsert_run(body)

    assert [r.name for r in snapshot_of(view).runs] == ["report-1772366400"]


def test_job_without_the_owner_label_is_not_a_run() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob())

    view.upsert_run(run_job("stray", owner=""))

    assert snapshot_of(view).runs == ()
    assert changes.keys == [KEY]


def test_newer_run_event_replaces_the_run() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400", rv="5"))

    view.upsert_run(run_job("report-1772366400", rv="6", complete="2026-03-01T12:03:00Z"))

    (run,) = snapshot_of(view).runs
    assert run.outcome == "Succeeded"
    assert run.resource_version == "6"
    assert changes.keys == [KEY, KEY, KEY]


def test_older_run_event_never_overwrites_a_newer_one() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400", rv="6", complete="2026-03-01T12:03:00Z"))

    view.upsert_run(run_job("report-1772366400", rv="5"))  # still active in that older event

    (run,) = snapshot_of(view).runs
    assert run.outcome == "Succeeded"
    assert changes.keys == [KEY, KEY]


def test_run_recreated_under_the_same_name_replaces_the_old_one() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400", uid="first", rv="900", complete="2026-03-01T12:03:00Z"))

    view.upsert_run(run_job("report-1772366400", uid="second", rv="30"))

    (run,) = snapshot_of(view).runs
    assert (run.uid, run.active) == ("second", True)


def test_mark_recorded_survives_a_late_watch_event_without_the_annotation() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400", rv="6", complete="2026-03-01T12:03:00Z"))

    view.mark_recorded(KEY, "report-1772366400")
    view.upsert_run(run_job("report-1772366400", rv="6", complete="2026-03-01T12:03:00Z"))
    view.upsert_run(run_job("report-1772366400", rv="7", complete="2026-03-01T12:03:00Z"))

    (run,) = snapshot_of(view).runs
    assert run.recorded
    assert run.resource_version == "7"


def test_mark_recorded_does_not_carry_over_to_a_new_run_of_the_same_name() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400", uid="first", complete="2026-03-01T12:03:00Z"))
    view.mark_recorded(KEY, "report-1772366400")

    view.upsert_run(run_job("report-1772366400", uid="second", complete="2026-03-01T12:04:00Z"))

    (run,) = snapshot_of(view).runs
    assert (run.uid, run.recorded) == ("second", False)


def test_mark_recorded_of_an_unknown_run_is_ignored() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())

    view.mark_recorded(KEY, "nope")
    view.mark_recorded(("elsewhere", "nothing"), "nope")

    assert snapshot_of(view).runs == ()


def test_recorded_annotation_on_the_job_is_read() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())

    view.upsert_run(run_job("report-1772366400", complete="2026-03-01T12:03:00Z", recorded=True))

    (run,) = snapshot_of(view).runs
    assert run.recorded


def test_delete_run_removes_it_and_reports_the_change() -> None:
    view, changes = new_view()
    view.upsert_job(chronosjob())
    view.upsert_run(run_job("report-1772366400"))
    view.upsert_run(run_job("report-1772370000"))

    view.delete_run(NAMESPACE, NAME, "report-1772366400")
    view.delete_run(NAMESPACE, NAME, "report-1772366400")  # already gone
    view.delete_run(NAMESPACE, "other", "report-1772366400")

    assert [r.name for r in snapshot_of(view).runs] == ["report-1772370000"]
    assert changes.keys == [KEY, KEY, KEY, KEY]


def test_exit_codes_reach_the_snapshot() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob())

    view.set_exit_code(KEY, "report-1772366400", 3)
    view.set_exit_code(KEY, "report-1772370000", None)
    view.set_exit_code(("elsewhere", "nothing"), "x", 1)  # unknown job: ignored

    assert snapshot_of(view).exit_codes == {"report-1772366400": 3, "report-1772370000": None}


def test_owner_of_reads_the_job_label() -> None:
    assert owner_of(run_job("report-1772366400")) == NAME
    assert owner_of({"metadata": {}}) == ""
    assert owner_of({}) == ""


# --- the view and decide together ---------------------------------------------------------------------


def test_late_watch_event_cannot_make_decide_run_an_occurrence_twice() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob(rv="100"))
    now = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    first = decide(snapshot_of(view), now, SETTINGS)
    view.jobs[KEY].status = first.status  # the loop applies the plan: status first...
    view.jobs[KEY].written = first.status
    # ...and the watch then delivers an event that still holds the empty status, while the created
    # run has not been seen yet.
    view.upsert_job(chronosjob(rv="101", status={}))

    again = decide(snapshot_of(view), now, SETTINGS)

    assert len(first.creates) == 1
    assert again.creates == []


def test_decide_does_not_mutate_the_views_status() -> None:
    view, _ = new_view()
    view.upsert_job(chronosjob(status={"successCount": 1, "history": [{"jobName": "a"}]}))
    view.upsert_run(run_job("report-1772366400", complete="2026-03-01T12:03:00Z"))
    before = copy.deepcopy(view.jobs[KEY].status)

    plan = decide(snapshot_of(view), datetime(2026, 3, 1, 12, 3, 1, tzinfo=UTC), SETTINGS)

    assert plan.status["successCount"] == 2
    assert view.jobs[KEY].status == before


def named(name: str, spec: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    body = chronosjob(uid=f"uid-{namespace}-{name}", spec=spec)
    body["metadata"] = {**body["metadata"], "name": name, "namespace": namespace}
    return body


def test_find_and_children_follow_renames_parent_changes_and_deletions() -> None:
    view, _ = new_view()
    view.upsert_job(named("a", {"schedule": HOURLY}))
    view.upsert_job(named("b", {"parents": ["a"]}))
    view.upsert_job(named("c", {"parents": ["a", "b"]}))
    view.upsert_job(named("a", {"parents": ["a"]}, namespace="team-b"))  # same name elsewhere
    assert view.find(NAMESPACE, "a") is view.jobs[(NAMESPACE, "a")]
    assert view.children_of((NAMESPACE, "a")) == [(NAMESPACE, "b"), (NAMESPACE, "c")]
    assert view.children_of(("team-b", "a")) == [("team-b", "a")]

    view.upsert_job(named("c", {"parents": ["b"]}))  # c no longer waits for a
    assert view.children_of((NAMESPACE, "a")) == [(NAMESPACE, "b")]
    view.upsert_job(named("a", {"schedule": HOURLY, "name": "renamed"}))
    assert view.find(NAMESPACE, "a") is None
    assert view.find(NAMESPACE, "renamed") is view.jobs[(NAMESPACE, "a")]
    assert view.children_of((NAMESPACE, "a")) == []  # b waits for a job named "a", which is gone

    view.delete_job(NAMESPACE, "b")
    assert view.find(NAMESPACE, "b") is None
    assert view.children_of((NAMESPACE, "b")) == []
    view.upsert_job(named("b", {"schedule": HOURLY}))  # back again: c still waits for it
    assert view.children_of((NAMESPACE, "b")) == [(NAMESPACE, "c")]


def test_a_graph_change_wakes_only_the_namespace_jobs_that_have_parents() -> None:
    view, changes = new_view()
    view.upsert_job(named("a", {"schedule": HOURLY}))
    view.upsert_job(named("b", {"parents": ["a"]}))
    view.upsert_job(named("x", {"parents": ["a"]}, namespace="team-b"))
    changes.keys.clear()
    view.upsert_job(named("d", {"schedule": HOURLY}))
    assert changes.keys == [(NAMESPACE, "b"), (NAMESPACE, "d")]


def test_a_cleared_view_finds_no_job_and_no_child() -> None:
    view, _ = new_view()
    view.upsert_job(named("a", {"schedule": HOURLY}))
    view.upsert_job(named("b", {"parents": ["a"]}))
    view.clear()
    assert view.find(NAMESPACE, "a") is None
    view.upsert_job(named("a", {"schedule": HOURLY}))  # reloaded without b
    assert view.children_of((NAMESPACE, "a")) == []
