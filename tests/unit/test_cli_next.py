"""``kubectl-chronos next``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from chronos_operator.cli.main import main
from chronos_operator.cli.next import format_time


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_the_contract_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "next", "R5/2008-03-01T13:00:00Z/P1D", "-n", "3", "--after", "2008-03-01T00:00:00Z"
    )
    assert code == 0 and err == ""
    assert out == ["2008-03-01T13:00:00Z", "2008-03-02T13:00:00Z", "2008-03-03T13:00:00Z"]


def test_without_after_an_exhausted_schedule_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "next", "R5/2008-03-01T13:00:00Z/P1D", "-n", "3") == (0, [], "")


def test_never_past_the_repetition_count(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys, "next", "R5/2008-03-01T13:00:00Z/P1D", "-n", "10", "--after", "2008-03-02T13:00:00Z"
    )
    assert out == ["2008-03-03T13:00:00Z", "2008-03-04T13:00:00Z", "2008-03-05T13:00:00Z"]


def test_strictly_after(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys, "next", "R/2008-03-01T13:00:00Z/PT1H", "-n", "1", "--after", "2008-03-01T14:00:00Z"
    )
    assert out == ["2008-03-01T15:00:00Z"]


def test_default_count_is_ten(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "next", "R/2008-03-01T13:00:00Z/PT1H", "--after", "2008-03-01T00:00:00Z")
    assert len(out) == 10


def test_months_do_not_drift(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys, "next", "R/2012-01-31T00:00:00Z/P1M", "-n", "3", "--after", "2012-01-01T00:00:00Z"
    )
    assert out == ["2012-01-31T00:00:00Z", "2012-02-29T00:00:00Z", "2012-03-31T00:00:00Z"]


def test_time_zone_keeps_wall_clock_time_across_dst(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys,
        "next",
        "R/2024-03-09T09:00:00/P1D",
        "--tz",
        "PST",
        "-n",
        "2",
        "--after",
        "2024-03-09T00:00:00Z",
    )
    assert out == ["2024-03-09T17:00:00Z", "2024-03-10T16:00:00Z"]


def test_without_after_lists_from_now(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "next", "R/2020-01-01T00:00:00Z/PT1H", "-n", "2")
    first = datetime.strptime(out[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert datetime.now(UTC) < first <= datetime.now(UTC) + timedelta(hours=1)


def test_format_time() -> None:
    assert format_time(datetime(2008, 3, 1, 13, tzinfo=UTC)) == "2008-03-01T13:00:00Z"
    assert format_time(datetime(2008, 3, 1, 13, 0, 0, 500000, tzinfo=UTC)) == "2008-03-01T13:00:00.500Z"
    assert format_time(datetime(2008, 3, 1, 13, 0, 0, 123456, tzinfo=UTC)) == "2008-03-01T13:00:00.123456Z"


def test_fractional_periods_print_fractions(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys, "next", "R/2008-03-01T13:00:00Z/PT1.5S", "-n", "2", "--after", "2008-03-01T13:00:00Z"
    )
    assert out == ["2008-03-01T13:00:01.500Z", "2008-03-01T13:00:03Z"]


def test_manifest_with_an_empty_start_uses_its_creation_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = {
        "apiVersion": "chronos.dev/v1alpha1",
        "kind": "ChronosJob",
        "metadata": {"name": "hourly", "creationTimestamp": "2024-05-01T10:20:00Z"},
        "spec": {"schedule": "R3//PT1H"},
    }
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(manifest))
    _, out, _ = run(capsys, "next", "-f", str(path), "--after", "2024-05-01T00:00:00Z")
    assert out == ["2024-05-01T10:20:00Z", "2024-05-01T11:20:00Z", "2024-05-01T12:20:00Z"]


def test_chronos_json_file_with_its_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pst.json"
    path.write_text(
        json.dumps({"name": "pst", "schedule": "R/2014-10-10T18:32:00Z/P1D", "scheduleTimeZone": "PST"})
    )
    _, out, _ = run(capsys, "next", "-f", str(path), "-n", "1", "--after", "2014-11-10T00:00:00Z")
    assert out == ["2014-11-10T02:32:00Z"]  # 18:32 on Nov 9 in Los Angeles, PST (-08:00) by then


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["next", "R5/2008-03-01T13:00:00Z"], "schedule 'R5/2008-03-01T13:00:00Z'"),
        (["next", "R/2008-03-01T13:00:00Z/P1D", "--tz", "Mars/Olympus"], "--tz: scheduleTimeZone"),
        (["next", "R/2008-03-01T13:00:00Z/P1D", "--after", "yesterday"], "--after: "),
        (["next"], "give either SCHEDULE or -f FILE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], start: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == []
    assert err.count("\n") == 1 and err.startswith(start), err


def test_bad_file_names_the_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "bad", "schedule": "R/2024-01-01T00:00:00Z/P"}))
    code, _, err = run(capsys, "next", "-f", str(path))
    assert code == 2
    assert err.startswith(f"{path}: spec.schedule: ") and err.count("\n") == 1


def test_dependency_job_has_no_fire_times(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "child.json"
    path.write_text(json.dumps({"name": "child", "parents": ["a", "b"]}))
    code, _, err = run(capsys, "next", "-f", str(path))
    assert code == 2 and "runs after its parents (a, b)" in err


def test_negative_count_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["next", "R/2008-03-01T13:00:00Z/P1D", "-n", "-1"]) == 2


def test_zero_count_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(capsys, "next", "R/2008-03-01T13:00:00Z/P1D", "-n", "0", "--after", "2000-01-01T00:00:00Z")[1]
        == []
    )
