"""The outside watcher: a separate process that watches Jobs in the benchmark's namespaces and
writes one JSON line when each Job first appears and when it first finishes, stamped with its
own clock as the event arrives.

It runs as its own process so the benchmark's other threads (creating objects, sampling /proc)
never hold it up; the Job's creationTimestamp has whole-second resolution, so the receive time is
the only sub-second appearance time there is. `python -m bench.watcher --out FILE NS [NS ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import kubernetes
import urllib3

CHRONOS_SCHEDULED = "chronos.dev/scheduled-time"
CRON_SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CHRONOS_OWNER_LABEL = "chronos.dev/job"


def describe(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Which scheduler made the Job, for which owner and which scheduled time."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    if CHRONOS_OWNER_LABEL in labels:
        kind, owner = "chronosjob", labels[CHRONOS_OWNER_LABEL]
        scheduled = annotations.get(CHRONOS_SCHEDULED)
    else:
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("kind") == "CronJob"]
        kind, owner = "cronjob", refs[0]["name"] if refs else ""
        scheduled = annotations.get(CRON_SCHEDULED)
    return {
        "kind": kind,
        "owner": owner,
        "sched": scheduled,
        "trigger": annotations.get("chronos.dev/trigger", ""),
    }


def finished(obj: Mapping[str, Any]) -> str | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed"):
            return str(c["type"])
    return None


class Recorder:
    def __init__(self, namespaces: set[str], out: TextIO) -> None:
        self.namespaces = namespaces
        self.out = out
        self.seen: set[str] = set()
        self.done: set[str] = set()

    def handle(self, obj: Mapping[str, Any], recv: float) -> None:
        meta = obj.get("metadata") or {}
        if meta.get("namespace") not in self.namespaces:
            return
        uid = str(meta.get("uid"))
        if uid not in self.seen:
            self.seen.add(uid)
            line = {"e": "add", "recv": recv, "ns": meta["namespace"], "name": meta.get("name"), "uid": uid}
            line.update(describe(obj))
            line["created"] = meta.get("creationTimestamp")
            self.write(line)
        outcome = finished(obj)
        if outcome and uid not in self.done:
            self.done.add(uid)
            self.write(
                {"e": "done", "recv": recv, "ns": meta["namespace"], "uid": uid, "outcome": outcome}
                | describe(obj)
            )

    def write(self, line: Mapping[str, Any]) -> None:
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()


def api_client(server: str, token: str) -> kubernetes.client.ApiClient:
    config = kubernetes.client.Configuration()
    config.host = server
    config.verify_ssl = False
    config.api_key = {"authorization": f"Bearer {token}"}
    return kubernetes.client.ApiClient(config)


def watch_lines(batch: kubernetes.client.BatchV1Api, rv: str) -> Iterator[tuple[float, bytes]]:
    resp = batch.list_job_for_all_namespaces(
        watch=True,
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=300,
        _preload_content=False,
        _request_timeout=(5, 330),
    )
    try:
        for line in resp:
            yield time.time(), line
    finally:
        resp.release_conn()


def run(server: str, token: str, namespaces: set[str], out: TextIO) -> None:
    urllib3.disable_warnings()
    batch = kubernetes.client.BatchV1Api(api_client(server, token))
    recorder = Recorder(namespaces, out)
    rv = ""
    ready = False
    while True:
        try:
            if not rv:  # (re)list: Jobs created while no watch was open are recorded as seen now
                listing = batch.list_job_for_all_namespaces(_preload_content=False, _request_timeout=(5, 60))
                data = json.loads(listing.data)
                now = time.time()
                for item in data.get("items") or []:
                    recorder.handle(item, now)
                rv = data["metadata"]["resourceVersion"]
                if not ready:
                    recorder.write({"e": "ready", "recv": now})
                    ready = True
            for recv, raw in watch_lines(batch, rv):
                event = json.loads(raw)
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    rv = "" if obj.get("code") == 410 else rv
                    break
                rv = (obj.get("metadata") or {}).get("resourceVersion") or rv
                if event.get("type") in ("ADDED", "MODIFIED"):
                    recorder.handle(obj, recv)
        except Exception as e:  # a dropped watch resumes from the last resourceVersion
            print(f"watcher: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            time.sleep(0.2)


class Watcher:
    """Starts the watcher process and reads what it wrote."""

    def __init__(self, server: str, token: str, namespaces: list[str], out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("")
        env = {**os.environ, "BENCH_WATCH_TOKEN": token}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.watcher", "--server", server, "--out", str(out), *namespaces],
            env=env,
            stderr=open(out.with_suffix(".stderr"), "wb"),  # noqa: SIM115 - the child keeps it
        )
        deadline = time.monotonic() + 60
        while not any(r["e"] == "ready" for r in self.records()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the watcher did not start; see {out.with_suffix('.stderr')}")
            time.sleep(0.2)

    def records(self) -> list[dict[str, Any]]:
        lines = self.out.read_text().splitlines()
        return [json.loads(x) for x in lines if x.endswith("}")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.watcher")
    parser.add_argument("--server", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("namespaces", nargs="+")
    args = parser.parse_args()
    with open(args.out, "a") as out:
        run(args.server, os.environ["BENCH_WATCH_TOKEN"], set(args.namespaces), out)


if __name__ == "__main__":
    main()
