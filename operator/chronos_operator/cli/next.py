"""``kubectl-chronos next``: the next fire times of a schedule, a ChronosJob or a Chronos job."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from chronos_operator.model.chronos import from_chronos_json
from chronos_operator.model.errors import SpecError
from chronos_operator.schedule import Schedule, ScheduleError, parse_instant, parse_schedule

from .inputs import InputError, is_manifest, read_chronos_job, read_yaml_documents

DEFAULT_COUNT = 10


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "next",
        help="print a schedule's next fire times",
        description="Print the next fire times (RFC 3339, UTC, one a line) strictly after --after, never "
        "past the schedule's repetition count.",
        epilog="examples:\n"
        "  kubectl-chronos next 'R5/2008-03-01T13:00:00Z/P1D' -n 3 --after 2008-03-01T00:00:00Z\n"
        "  kubectl-chronos next 'R/2014-10-10T18:32:00Z/PT60M' --tz PST\n"
        "  kubectl-chronos next -f job.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "schedule", nargs="?", metavar="SCHEDULE", help="an ISO 8601 repeating interval R[n]/[start]/period"
    )
    parser.add_argument(
        "-f",
        "--filename",
        metavar="FILE",
        help="a ChronosJob manifest (YAML) or a Chronos job (JSON) instead of SCHEDULE; an empty start is "
        "the manifest's creationTimestamp, else now",
    )
    parser.add_argument(
        "--tz", metavar="ZONE", help="scheduleTimeZone for SCHEDULE: IANA name or Java id (PST)"
    )
    parser.add_argument(
        "-n", type=_parse_count, default=DEFAULT_COUNT, metavar="N", help="how many (default 10)"
    )
    parser.add_argument(
        "--after", metavar="RFC3339", help="list fire times strictly after this instant (default: now)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    if (args.schedule is None) == (args.filename is None):
        raise InputError("", "give either SCHEDULE or -f FILE")
    after = now
    if args.after is not None:
        try:
            after = parse_instant(args.after)
        except ValueError as e:
            raise InputError("--after", str(e)) from None
    if args.filename is not None:
        if args.tz is not None:
            raise InputError("--tz", "applies to SCHEDULE only; a file has its own scheduleTimeZone")
        schedule = read_schedule(args.filename, now)
    else:
        try:
            schedule = parse_schedule(args.schedule, args.tz).anchored(now)
        except ScheduleError as e:
            raise InputError("--tz" if e.field == "scheduleTimeZone" else "", str(e)) from None
    for instant in list_fire_times(schedule, after, args.n):
        print(format_time(instant))
    return 0


def read_schedule(path: str, now: datetime) -> Schedule:
    """The schedule of the one job in ``path``, its empty start filled with the creation time."""
    documents = read_yaml_documents(path)
    if len(documents) != 1:
        raise InputError(path, f"holds {len(documents)} jobs; give a file with one")
    document = documents[0]
    anchor = now
    if is_manifest(document.data):
        job = read_chronos_job(document)
        spec = job.spec
        created = job.metadata.get("creationTimestamp")
        if created:
            try:
                anchor = parse_instant(str(created))
            except ValueError as e:
                raise InputError(document.source, f"metadata.creationTimestamp: {e}") from None
    else:
        try:
            spec, _ = from_chronos_json(document.data)
        except SpecError as e:
            raise InputError(document.source, str(e)) from None
    if spec.schedule is None:
        how = f"after its parents ({', '.join(spec.parents)})" if spec.parents else "once, when it is created"
        raise InputError(document.source, f"spec.schedule: not set; the job runs {how}")
    try:
        return parse_schedule(spec.schedule, spec.scheduleTimeZone).anchored(anchor)
    except ScheduleError as e:  # already validated; kept for a clear message if the engine changes
        raise InputError(document.source, f"spec.{e.field}: {e}") from None


def list_fire_times(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """Up to ``count`` occurrences strictly after ``after``, never past the repetitions."""
    times: list[datetime] = []
    found = schedule.next_after(after) if count > 0 else None
    while found is not None:
        index, instant = found
        times.append(instant)
        if len(times) >= count:
            break
        try:
            found = (index + 1, schedule.occurrence(index + 1))
        except IndexError:  # the repetitions (or year 9999) ran out
            found = None
    return times


def format_time(instant: datetime) -> str:
    """RFC 3339 in UTC: seconds precision, milliseconds or microseconds only when there are any."""
    utc = instant.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond % 1000 == 0 and utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    elif utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def _parse_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
