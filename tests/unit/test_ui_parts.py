"""The web UI's pure parts: words, command-line equivalents, fire times, forms, vendored files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from importlib import resources
from zoneinfo import ZoneInfo

from chronos_operator.schedule import parse_schedule
from chronos_operator.ui.commands import equivalents
from chronos_operator.ui.forms import overlay, parse_form, parse_json, parse_yaml
from chronos_operator.ui.upcoming import fire_times
from chronos_operator.ui.words import duration_words, schedule_words

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # htmx.org 2.0.11


def test_vendored_htmx_is_the_published_file() -> None:
    data = resources.files("chronos_operator.ui").joinpath("static", "htmx-2.0.11.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256


def test_schedules_in_words() -> None:
    assert schedule_words("R/2024-01-01T02:00:00Z/P1D", "Europe/Paris", ()) == (
        "every 1 day from 2024-01-01 02:00 (Europe/Paris), forever"  # the wall clock, offset ignored
    )
    assert schedule_words("R10/2012-10-01T05:52:00Z/PT2S", None, (), 9) == (
        "every 2 s from 2012-10-01 05:52 (UTC), 9 runs left of 10"
    )
    assert schedule_words("R//PT90M", None, ()) == "every 1 h 30 min from creation, forever"
    assert schedule_words("R/2024-01-01T00:00:00Z/P2W", None, ()).startswith("every 2 weeks")
    assert schedule_words(None, None, ("a", "b")) == "after a, b"
    assert schedule_words(None, None, ()) == "once, when created"
    assert schedule_words("R0/2024-01-01T00:00:00Z/P1D", None, ()) == "never (R0)"


def test_durations_in_words() -> None:
    assert (
        duration_words(9) == "9s" and duration_words(61.5) == "1m 2s" and duration_words(3725) == "1h 2m 5s"
    )


def test_every_action_has_its_command_line_forms() -> None:
    base = "http://chronos:8080"
    run = equivalents("run", "team-a", "sample-job1", "SAMPLE_JOB1", base, "kubernetes", "--day 1")
    assert run.chronos == "kubectl-chronos run SAMPLE_JOB1 -n team-a --arguments '--day 1'"
    assert (
        "chronos.dev/run-now=$(date +%s)" in run.kubectl
        and "chronos.dev/run-arguments='--day 1'" in run.kubectl
    )
    assert run.curl == (
        'curl -sS -H "Authorization: Bearer $TOKEN" -X PUT '
        "'http://chronos:8080/namespaces/team-a/v1/scheduler/job/SAMPLE_JOB1?arguments=--day%201'"
    )
    assert equivalents("mark-success", "n", "a", "a", base, "none").curl.endswith(
        "/v1/scheduler/job/success/a'"
    )
    assert "-X DELETE" in equivalents("kill", "n", "a", "a", base, "basic").curl
    assert '-u "$USER:$PASSWORD"' in equivalents("kill", "n", "a", "a", base, "basic").curl
    assert equivalents("disable", "n", "a", "a", base, "none").kubectl == (
        'kubectl patch chj a -n n --type merge -p \'{"spec":{"disabled":true}}\''
    )
    assert equivalents("delete", "n", "a", "a", base, "none").kubectl == "kubectl delete chj a -n n"
    assert "kubectl-chronos graph -n n" in equivalents("graph", "n", "", "", base, "none").chronos


def test_fire_times_mark_daylight_saving_shifts() -> None:
    schedule = parse_schedule("R/2030-10-25T01:30:00Z/P1D", "America/New_York")
    zone = ZoneInfo("America/New_York")
    times = fire_times(schedule, zone, datetime(2030, 10, 31, tzinfo=UTC), 6)
    shifted = [t for t in times if t.shift]
    # The start's wall clock (01:30) is kept in New York. EDT ends at 02:00 on 2030-11-03, after
    # that day's 01:30 (EDT, the first of the two); P1D keeps 01:30, so the next day is EST.
    assert [t.local.date().isoformat() for t in shifted] == ["2030-11-04"]
    assert shifted[0].shift == "UTC-04:00 → UTC-05:00"
    assert {t.local.strftime("%H:%M") for t in times} == {"01:30"}


def test_form_overlay_keeps_what_the_form_does_not_show() -> None:
    stored = {
        "name": "a",
        "command": "old",
        "container": {"type": "DOCKER", "image": "x"},
        "cpus": 2,
        "disabled": True,
    }
    spec = overlay(stored, {"name": "a", "command": "new", "schedule": "R//P1D", "retries": "3"})
    assert spec == {
        "name": "a",
        "command": "new",
        "container": {"type": "DOCKER", "image": "x"},
        "cpus": 2,
        "schedule": "R//P1D",
        "retries": 3,
    }


def test_form_yaml_and_json_errors_name_the_field() -> None:
    assert parse_form({}, {"name": "a", "epsilon": "soon"}).by_field() == {
        "epsilon": parse_form({}, {"name": "a", "epsilon": "soon"}).problems[0].message
    }
    assert parse_yaml("metadata: {name: a}\nspec: {schedule: nope}").problems[0].field == "spec.schedule"
    assert parse_yaml("spec: {name: b}", fixed_name="a").problems[0].field == "spec.name"
    outcome = parse_yaml(
        "apiVersion: chronos.dev/v1alpha1\nkind: ChronosJob\nmetadata: {name: a}\nspec: {command: x}"
    )
    assert outcome.spec is not None and outcome.spec.name == "a"
    assert parse_json('{"name": "a", "schedule": "R/2024-01-01T00:00:00Z/PT1H", "cpus": "lots"}').problems
    assert parse_json("[1]").problems[0].message.startswith("expected a Chronos job")
