"""Chronos names -> Kubernetes names, and ChronosJob manifests built from a spec.

A Chronos name (``[\\w.-]+``: ``SAMPLE_JOB1``, ``hostings_daily_load``) becomes metadata.name by
lowercasing and ``_`` -> ``-``; the original stays in ``spec.name``, which parents and the REST API
use. When more than that had to change (other characters, leading or trailing separators, length),
two different Chronos names could meet, so a short hash of the original is appended.
Lowercasing and ``_`` -> ``-`` alone add no hash, for readable names; the price is that ``a_b`` and
``A-B`` share ``a-b`` (the second one to be created is refused as a conflict).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .resource import API_VERSION, KIND, MAX_NAME_LENGTH
from .spec import ChronosJobSpec

HASH_LENGTH = 6
_INVALID = re.compile(r"[^a-z0-9.-]")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def kubernetes_name(chronos_name: str) -> str:
    """metadata.name for a Chronos job: a DNS-1123 subdomain of at most 52 characters.

    ``SAMPLE_JOB1`` -> ``sample-job1``; ``my job!`` -> ``my-job-<6 hex of sha256>``.
    """
    readable = chronos_name.lower().replace("_", "-")
    cleaned = _INVALID.sub("-", readable)
    # Each dot-separated label must start and end with a letter or digit.
    labels = [label.strip("-") for label in cleaned.split(".")]
    candidate = ".".join(label for label in labels if label)
    if candidate == readable and len(candidate) <= MAX_NAME_LENGTH:
        return candidate
    digest = hashlib.sha256(chronos_name.encode()).hexdigest()[:HASH_LENGTH]
    base = candidate[: MAX_NAME_LENGTH - HASH_LENGTH - 1].rstrip("-.") or "job"
    return f"{base}-{digest}"


def is_valid_kubernetes_name(name: str) -> bool:
    """A DNS-1123 subdomain short enough for run Job names."""
    return 0 < len(name) <= MAX_NAME_LENGTH and all(_DNS_LABEL.match(label) for label in name.split("."))


def build_manifest(spec: ChronosJobSpec, namespace: str | None = None) -> dict[str, Any]:
    """A ChronosJob manifest for ``spec``: metadata.name from the Chronos name, spec.name the
    Chronos name itself, and only the fields that differ from their defaults."""
    if spec.name is None:
        raise ValueError("build_manifest needs spec.name, the Chronos name")
    metadata: dict[str, Any] = {"name": kubernetes_name(spec.name)}
    if namespace:
        metadata["namespace"] = namespace
    body = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for key in ("cpus", "mem", "disk"):
        # mem: 512, not 512.0, as people write it (Chronos' "512" arrives as a float).
        if isinstance(body.get(key), float) and body[key].is_integer():
            body[key] = int(body[key])
    body = {"name": spec.name, **body}
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": body}
