"""Names of the labels and annotations the operator puts on, and reads from, Kubernetes objects."""

from __future__ import annotations

# The resource's identity has one home, the model; it is re-exported here for the edges.
from chronos_operator.model.resource import API_VERSION, GROUP, KIND, PLURAL, VERSION

__all__ = ["API_VERSION", "GROUP", "KIND", "PLURAL", "VERSION"]

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "chronos-operator"
APP_NAME = "app.kubernetes.io/name"
APP_INSTANCE = "app.kubernetes.io/instance"
APP_COMPONENT = "app.kubernetes.io/component"

# On run Jobs (and their pods):
JOB_LABEL = "chronos.dev/job"  # the owning ChronosJob's metadata.name
TRIGGER_LABEL = "chronos.dev/trigger"  # schedule | manual | dependency
SCHEDULED_TIME = "chronos.dev/scheduled-time"  # RFC 3339 UTC, the nominal (due) time of the run
TASK_ID = "chronos.dev/task-id"  # Chronos task id ct:<due ms>:<attempt>:<name>:<arguments>
ARGUMENTS = "chronos.dev/arguments"
RECORDED = "chronos.dev/recorded"  # "true" once the run's outcome is counted in the ChronosJob's status
KILLED = "chronos.dev/killed"  # set on a Job the operator killed: its outcome is Killed, no counter changes
STATUS_CODE = "chronos.dev/status-code"  # async completion, reported by the job (0 = success)
STATUS_REASON = "chronos.dev/status-reason"  # why the operator set the status code itself
ASYNC = "chronos.dev/async"  # "true" on runs of async jobs: they end when their status code is reported

# Triggers on a ChronosJob (contract §6):
RUN_NOW = "chronos.dev/run-now"
RUN_ARGUMENTS = "chronos.dev/run-arguments"
MARK_SUCCESS = "chronos.dev/mark-success"
KILL = "chronos.dev/kill"
