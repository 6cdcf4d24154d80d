"""`kubectl-chronos import --from URL` against a stand-in Chronos on loopback: 3.x and 2.x paths,
basic credentials, and the list-compatibility quirk of GET /jobs (uris and fetch both filled)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from chronos_operator.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chronos-jobs"


def chronos_listing() -> list[dict[str, object]]:
    jobs = [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    for job in jobs:  # what GET /jobs adds: counters, and fetch mirrored from uris
        job.setdefault("successCount", 7)
        job.setdefault("fetch", [])
    return jobs


class FakeChronos(BaseHTTPRequestHandler):
    paths: tuple[str, ...] = ("/v1/scheduler/jobs",)
    credentials: str | None = None

    def do_GET(self) -> None:
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return
        if self.path not in self.paths:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(chronos_listing()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def chronos3() -> Iterator[str]:
    yield from serve(FakeChronos)


@pytest.fixture
def chronos2() -> Iterator[str]:
    yield from serve(type("Chronos2", (FakeChronos,), {"paths": ("/scheduler/jobs",)}))


@pytest.fixture
def chronos_with_auth() -> Iterator[str]:
    yield from serve(type("ChronosAuth", (FakeChronos,), {"credentials": "ops:secret"}))


def test_import_from_a_live_chronos_3_writes_one_manifest_per_job(
    chronos3: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "--from", chronos3, "--namespace", "batch"]) == 0
    out, err = capsys.readouterr()
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert sorted(d["spec"]["name"] for d in docs) == sorted(
        json.loads(p.read_text())["name"] for p in EXAMPLES.glob("*.json")
    )
    assert all(d["metadata"]["namespace"] == "batch" for d in docs)
    assert f"{chronos3}#SAMPLE_JOB1: successCount: ignored" in err


def test_import_falls_back_to_the_2x_path(chronos2: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--from", chronos2]) == 0
    assert "SAMPLE_JOB1" in capsys.readouterr().out


def test_import_with_wrong_credentials_names_the_url_and_the_fix(
    chronos_with_auth: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "--from", chronos_with_auth, "--user", "ops:wrong"]) == 2
    err = capsys.readouterr().err
    assert chronos_with_auth in err and "401" in err and "--user" in err
    assert main(["import", "--from", chronos_with_auth, "--user", "ops:secret"]) == 0


def test_import_from_an_unreachable_url_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--from", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach Chronos" in err[0]


def test_import_needs_paths_or_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import"]) == 2
    assert "--from URL" in capsys.readouterr().err
