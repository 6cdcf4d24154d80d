"""``kubectl-chronos import`` (Chronos job JSON -> ChronosJob YAML) and ``export`` (the reverse).

Both are all-or-nothing: when any job is bad, every bad one is reported (one line each, naming
the file and the field) and nothing is written, so a half-converted folder never reaches a cluster.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chronos_operator.model.chronos import export_warnings, from_chronos_json, to_chronos_json
from chronos_operator.model.errors import SpecError
from chronos_operator.model.names import build_manifest

from .inputs import (
    Document,
    InputError,
    expand_paths,
    read_chronos_job,
    read_json_jobs,
    read_live_jobs,
    read_yaml_documents,
)

EXIT_BAD_INPUT = 2


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = subparsers.add_parser(
        "import",
        help="convert Chronos job JSON into ChronosJob YAML",
        description="Convert Chronos job JSON files (one job or a list of jobs per file; folders are "
        "searched recursively for *.json, as chronos-sync keeps them) into ChronosJob manifests: "
        "multi-document YAML on stdout, or one file per job with --output-dir. Warnings (fields with no "
        "Kubernetes meaning, ignored counters) go to stderr as PATH: field: message.",
    )
    importer.add_argument(
        "paths", nargs="*", metavar="PATH", help="Chronos job JSON file, folder, or - for stdin"
    )
    importer.add_argument(
        "--from",
        dest="from_url",
        action="append",
        default=[],
        metavar="URL",
        help="a running Chronos (e.g. http://chronos:4400): its jobs are read with GET /v1/scheduler/jobs "
        "(3.x), else GET /scheduler/jobs (2.x)",
    )
    importer.add_argument(
        "--user",
        metavar="USER:PASSWORD",
        help="HTTP basic credentials for --from (Chronos' --http_credentials)",
    )
    importer.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="write <metadata.name>.yaml files here"
    )
    importer.add_argument("-n", "--namespace", metavar="NS", help="set metadata.namespace")
    importer.set_defaults(run=run_import)

    exporter = subparsers.add_parser(
        "export",
        help="convert ChronosJob YAML into Chronos job JSON",
        description="Convert ChronosJob manifests (multi-document YAML, or kubectl get -o yaml output) into "
        "Chronos job JSON in Chronos' field order, with the counters from status: one JSON object for one "
        "job, a list for several, or one <name>.json file per job with --output-dir.",
    )
    exporter.add_argument(
        "paths", nargs="+", metavar="PATH", help="ChronosJob YAML file, folder, or - for stdin"
    )
    exporter.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="write <chronos name>.json files here"
    )
    exporter.set_defaults(run=run_export)


@dataclass(frozen=True)
class Converted:
    source: str
    name: str  # the output file's base name
    key: str  # what must be unique among the converted jobs
    body: dict[str, Any]


def run_import(args: argparse.Namespace) -> int:
    errors: list[str] = []
    converted: list[Converted] = []
    if not args.paths and not args.from_url:
        errors.append("import: give Chronos job files or folders, or --from URL")
        return _report(errors)
    batches: list[list[Document]] = []
    for url in args.from_url:
        try:
            batches.append(read_live_jobs(url, args.user))
        except InputError as e:
            errors.append(str(e))
    for source in expand_paths(args.paths, "*.json") if args.paths else []:
        try:
            batches.append(read_json_jobs(source))
        except InputError as e:
            errors.append(str(e))
    for documents in batches:
        for document in documents:
            try:
                spec, warnings = from_chronos_json(document.data)
            except SpecError as e:
                errors.append(f"{document.source}: {e}")
                continue
            for warning in warnings:
                print(f"{document.source}: {warning}", file=sys.stderr)
            manifest = build_manifest(spec, args.namespace)
            name = manifest["metadata"]["name"]
            converted.append(Converted(document.source, name, name, manifest))
    errors += _find_duplicates(
        converted, "metadata.name", lambda c: f"Chronos job {c.body['spec']['name']!r}"
    )
    if errors:
        return _report(errors)
    texts = [f"# imported from {c.source} by kubectl-chronos\n" + _dump_yaml(c.body) for c in converted]
    if args.output_dir is not None:
        _write_files(
            args.output_dir, [(f"{c.name}.yaml", text) for c, text in zip(converted, texts, strict=True)]
        )
    else:
        sys.stdout.write("---\n".join(texts))
    return 0


def run_export(args: argparse.Namespace) -> int:
    errors: list[str] = []
    converted: list[Converted] = []
    for source in expand_paths(args.paths, "*.yaml"):
        try:
            documents = read_yaml_documents(source)
        except InputError as e:
            errors.append(str(e))
            continue
        for document in documents:
            try:
                job = read_chronos_job(document)
            except InputError as e:
                errors.append(str(e))
                continue
            if not job.metadata.get("name") and not job.spec.name:
                errors.append(f"{document.source}: spec.name: required when metadata.name is not set")
                continue
            for warning in export_warnings(job.spec):
                print(f"{document.source}: {warning}", file=sys.stderr)
            body = to_chronos_json(job.spec, job.status, name=str(job.metadata.get("name", "")))
            converted.append(Converted(document.source, body["name"], body["name"], body))
    errors += _find_duplicates(converted, "spec.name", lambda c: f"job {c.key!r}")
    if errors:
        return _report(errors)
    if args.output_dir is not None:
        _write_files(args.output_dir, [(f"{c.name}.json", _dump_json(c.body)) for c in converted])
    elif len(converted) == 1:
        sys.stdout.write(_dump_json(converted[0].body))
    else:
        sys.stdout.write(_dump_json([c.body for c in converted]))
    return 0


def _find_duplicates(converted: list[Converted], field: str, describe: Any) -> list[str]:
    """One error for every job whose key an earlier job already has."""
    first: dict[str, Converted] = {}
    errors = []
    for item in converted:
        if item.key in first:
            earlier = first[item.key]
            errors.append(
                f"{item.source}: {field}: {item.key!r} is already used by {describe(earlier)} in "
                f"{earlier.source}"
            )
        else:
            first[item.key] = item
    return errors


def _report(errors: list[str]) -> int:
    for line in errors:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT


def _write_files(directory: Path, files: list[tuple[str, str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files:
        path = directory / name
        path.write_text(text, encoding="utf-8")
        print(path)


def _dump_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _dump_json(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
