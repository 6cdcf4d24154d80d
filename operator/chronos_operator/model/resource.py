"""The ChronosJob resource's identity: API group, version, kind and names."""

from __future__ import annotations

GROUP = "chronos.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "ChronosJob"
LIST_KIND = "ChronosJobList"
PLURAL = "chronosjobs"
SINGULAR = "chronosjob"
SHORT_NAMES = ("chj",)  # "cj" is CronJob's
CATEGORIES = ("chronos",)
CRD_NAME = f"{PLURAL}.{GROUP}"

# Run Jobs are named "<metadata.name>-<10 digit unix seconds>", and the Job controller copies a
# Job's name into its pods' job-name label, whose values hold at most 63 characters: 52 + 1 + 10.
MAX_NAME_LENGTH = 52
