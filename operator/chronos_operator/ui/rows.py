"""The jobs table: one row per ChronosJob from the view, search and filters, pages.

Filtering looks only at cheap fields of every entry; rows (with their formatted times) are built
for the page shown, so a page costs the same at 50 jobs as at 5,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from chronos_operator.api.render import last_status
from chronos_operator.schedule import read_instant
from chronos_operator.scheduler.view import Entry

from .words import iso, schedule_words, show_instant, zone_of

STATUSES = ("fresh", "success", "failure")
STATES = ("idle", "queued", "running")


@dataclass(frozen=True)
class Filters:
    """What the jobs page shows; every field is a URL query parameter."""

    q: str = ""  # substring of name, command, owner or description (case-insensitive)
    namespace: str = ""
    status: str = ""  # fresh | success | failure
    state: str = ""  # idle | queued | running
    disabled: str = ""  # "" | yes | no
    page: int = 1
    tz: str = "job"  # job | utc | browser: the zone of the times shown

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        try:
            page = max(int(query.get("page") or 1), 1)
        except ValueError:
            page = 1
        tz = query.get("tz") or "job"
        return cls(
            q=(query.get("q") or "").strip(),
            namespace=query.get("ns") or "",
            status=query.get("status") or "" if query.get("status") in STATUSES else "",
            state=query.get("state") or "" if query.get("state") in STATES else "",
            disabled=query.get("disabled") or "" if query.get("disabled") in ("yes", "no") else "",
            page=page,
            tz=tz if tz in ("job", "utc", "browser") else "job",
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """The URL query for these filters with `changes`, leaving out defaults."""
        values = {
            "q": self.q,
            "ns": self.namespace,
            "status": self.status,
            "state": self.state,
            "disabled": self.disabled,
            "page": str(self.page),
            "tz": self.tz,
        }
        values.update({k: str(v) for k, v in changes.items()})
        defaults = {"page": "1", "tz": "job"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}


def is_disabled(entry: Entry) -> bool:
    if entry.spec is not None:
        return bool(getattr(entry.spec, "disabled", False))
    return bool(entry.raw_spec.get("disabled"))


def coarse_state(entry: Entry) -> str:
    """idle, queued or running ("3 running" counts as running)."""
    state = str(entry.status.get("state") or "idle")
    return "running" if state.endswith("running") else state


class SearchText:
    """Each job's searchable text (names, command, owner, description), lowercased once and kept
    until its spec changes: searching 5,000 jobs is then one substring test per job."""

    def __init__(self) -> None:
        self.texts: dict[tuple[str, str], tuple[int, str]] = {}

    def __call__(self, entry: Entry) -> str:
        key = (entry.namespace, entry.name)
        stamp = id(entry.raw_spec)  # the view swaps in a new dict whenever the spec changes
        found = self.texts.get(key)
        if found is not None and found[0] == stamp:
            return found[1]
        spec = entry.raw_spec
        parts = (
            entry.chronos_name,
            entry.name,
            str(spec.get("command") or ""),
            str(spec.get("owner") or ""),
            str(spec.get("ownerName") or ""),
            str(spec.get("description") or ""),
        )
        text = "\n".join(parts).lower()
        if len(self.texts) > 100_000:
            self.texts.clear()
        self.texts[key] = (stamp, text)
        return text


_search_text = SearchText()


def matches(entry: Entry, f: Filters, text: SearchText = _search_text) -> bool:
    if f.namespace and entry.namespace != f.namespace:
        return False
    if f.status and last_status(entry) != f.status:
        return False
    if f.state and coarse_state(entry) != f.state:
        return False
    if f.disabled and is_disabled(entry) != (f.disabled == "yes"):
        return False
    if f.q:
        return f.q.lower() in text(entry)
    return True


def select(entries: Iterable[Entry], f: Filters) -> list[Entry]:
    """The entries the filters keep, in the order given (`ordered` sorts once per graph change)."""
    return [e for e in entries if matches(e, f)]


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    """By namespace, then Chronos name."""
    return sorted(entries, key=lambda e: (e.namespace, e.chronos_name))


def counters(entries: Iterable[Entry]) -> dict[str, int]:
    """Chronos 3.x's counter strip: jobs by last status and by state."""
    counts = dict.fromkeys((*STATUSES, *STATES, "disabled", "total"), 0)
    for e in entries:
        counts["total"] += 1
        counts[last_status(e)] += 1
        state = coarse_state(e)
        counts[state] = counts.get(state, 0) + 1
        if is_disabled(e):
            counts["disabled"] += 1
    return counts


def row_id(entry: Entry) -> str:
    return f"{entry.namespace}/{entry.name}"


def job_row(entry: Entry, tz: str = "job") -> dict[str, Any]:
    """One row of the table; also the payload of a live update (same keys as the cells)."""
    spec, status = entry.raw_spec, entry.status
    zone, zone_name = zone_of(str(spec.get("scheduleTimeZone") or "")) if tz == "job" else (UTC, "UTC")
    next_run = read_instant(status.get("nextRunTime"))
    last_ok, last_err = read_instant(status.get("lastSuccess")), read_instant(status.get("lastError"))
    remaining = status.get("remainingRuns")
    return {
        "key": row_id(entry),
        "namespace": entry.namespace,
        "name": entry.name,
        "chronos_name": entry.chronos_name,
        "status": last_status(entry),
        "state": str(status.get("state") or "idle"),
        "disabled": is_disabled(entry),
        "invalid": entry.spec_error or entry.policy_error or "",
        "schedule": schedule_words(
            spec.get("schedule"),
            spec.get("scheduleTimeZone"),
            entry.parents,
            remaining if isinstance(remaining, int) else None,
        ),
        "next_run": show_instant(next_run, zone),
        "next_run_iso": iso(next_run),
        "zone": zone_name,
        "success_count": int(status.get("successCount") or 0),
        "error_count": int(status.get("errorCount") or 0),
        "last_success": show_instant(last_ok, zone),
        "last_success_iso": iso(last_ok),
        "last_error": show_instant(last_err, zone),
        "last_error_iso": iso(last_err),
        "owner": str(spec.get("owner") or ""),
    }


def fingerprint(entry: Entry) -> tuple[Any, ...]:
    """What a live update depends on; cheap, so the stream can compare every job each second."""
    s = entry.status
    return (
        s.get("successCount"),
        s.get("errorCount"),
        s.get("lastSuccess"),
        s.get("lastError"),
        s.get("state"),
        s.get("nextRunTime"),
        s.get("lastStatus"),
        entry.resource_version,
    )
