"""Reading the CLI's input files: Chronos job JSON and ChronosJob YAML, from paths, folders or stdin."""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chronos_operator.model.errors import SpecError
from chronos_operator.model.job import ChronosJob, parse_chronos_job
from chronos_operator.model.resource import KIND, LIST_KIND

STDIN = "-"


class InputError(Exception):
    """Input the CLI cannot use. ``str()`` is the one line printed on stderr: ``source: problem``."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}" if source else message)


@dataclass(frozen=True)
class Document:
    """One parsed document and where it came from, e.g. ``jobs.json`` or ``jobs.json[2]``."""

    source: str
    data: Any


def expand_paths(paths: Iterable[str], pattern: str) -> list[str]:
    """Files to read: each file as given, each folder's ``pattern`` files recursively (sorted),
    ``-`` for stdin."""
    files: list[str] = []
    for name in paths:
        if name == STDIN:
            files.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob(pattern) if p.is_file())
            if not found:
                raise InputError(name, f"no {pattern} files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(name)
        else:
            raise InputError(name, "no such file or folder")
    return files


def read_text(source: str) -> str:
    if source == STDIN:
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(source, f"cannot read: {e}") from None


def read_json_jobs(source: str) -> list[Document]:
    """The Chronos jobs in a JSON file: one job object, or a list of them."""
    try:
        data = json.loads(read_text(source))
    except json.JSONDecodeError as e:
        raise InputError(source, f"invalid JSON: {e}") from None
    if isinstance(data, list):
        return [Document(f"{source}[{i}]", item) for i, item in enumerate(data)]
    return [Document(source, data)]


def read_yaml_documents(source: str) -> list[Document]:
    """The documents of a YAML (or JSON) file; ``kind: List`` documents are opened into their items."""
    try:
        loaded = [doc for doc in yaml.safe_load_all(read_text(source)) if doc is not None]
    except yaml.YAMLError as e:
        raise InputError(source, f"invalid YAML: {' '.join(str(e).split())}") from None
    documents: list[Document] = []
    for i, doc in enumerate(loaded):
        where = source if len(loaded) == 1 else f"{source}[{i}]"
        if (
            isinstance(doc, dict)
            and doc.get("kind") in ("List", LIST_KIND)
            and isinstance(doc.get("items"), list)
        ):
            documents.extend(Document(f"{where}.items[{j}]", item) for j, item in enumerate(doc["items"]))
        else:
            documents.append(Document(where, doc))
    return documents


def is_manifest(data: object) -> bool:
    """A Kubernetes object rather than a Chronos job (which has neither apiVersion nor kind)."""
    return isinstance(data, dict) and ("apiVersion" in data or "kind" in data)


def read_chronos_job(document: Document) -> ChronosJob:
    """A ChronosJob manifest document, validated; InputError naming the field otherwise."""
    if not isinstance(document.data, dict):
        raise InputError(document.source, f"expected a {KIND} object")
    try:
        return parse_chronos_job(document.data)
    except SpecError as e:
        raise InputError(document.source, str(e)) from None


def read_live_jobs(url: str, credentials: str | None = None, timeout: float = 30) -> list[Document]:
    """The jobs of a running Chronos: GET /v1/scheduler/jobs (3.x), else GET /scheduler/jobs (2.x).
    Each job's source reads ``<url>#<name>``."""
    base = url.rstrip("/")
    headers = {"Accept": "application/json"}
    if credentials:
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    problems: list[str] = []
    for path in ("/v1/scheduler/jobs", "/scheduler/jobs"):
        request = urllib.request.Request(base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise InputError(url, f"GET {path}: {e.code} {e.reason} (check --user)") from None
            problems.append(f"GET {path}: {e.code} {e.reason}")
            continue
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise InputError(url, f"cannot reach Chronos: {e}") from None
        try:
            data = json.loads(body)
        except json.JSONDecodeError as e:
            raise InputError(url, f"GET {path}: not JSON: {e}") from None
        if not isinstance(data, list):
            raise InputError(url, f"GET {path}: expected a list of jobs, got {type(data).__name__}")
        return [
            Document(f"{base}#{item.get('name', i) if isinstance(item, dict) else i}", item)
            for i, item in enumerate(data)
        ]
    raise InputError(url, "; ".join(problems))
