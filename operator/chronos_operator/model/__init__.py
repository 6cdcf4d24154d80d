"""The ChronosJob resource: spec and status models, the Chronos JSON wire format, name mapping
and the CRD generated from the models (``model.crd``). Pure: no kopf, kubernetes, aiohttp or
prometheus_client."""

from .chronos import export_warnings, from_chronos_json, to_chronos_json
from .container import Container, ExternalVolume, KeyValue, NetworkInfo, PortMapping, Volume
from .errors import FieldError, Problem, SpecError
from .job import ChronosJob, parse_chronos_job
from .names import build_manifest, is_valid_kubernetes_name, kubernetes_name
from .resource import API_VERSION, GROUP, KIND, MAX_NAME_LENGTH, PLURAL, VERSION
from .spec import ChronosJobSpec, EnvironmentVariable, FetchItem, display_schedule, validate_spec
from .status import ActiveRun, ChronosJobStatus, Condition, ParentCursor, RunRecord, ScheduleCursor
from .users import parse_user

__all__ = [
    "API_VERSION",
    "GROUP",
    "KIND",
    "MAX_NAME_LENGTH",
    "PLURAL",
    "VERSION",
    "ActiveRun",
    "ChronosJob",
    "ChronosJobSpec",
    "ChronosJobStatus",
    "Condition",
    "Container",
    "EnvironmentVariable",
    "ExternalVolume",
    "FetchItem",
    "FieldError",
    "KeyValue",
    "NetworkInfo",
    "ParentCursor",
    "PortMapping",
    "Problem",
    "RunRecord",
    "ScheduleCursor",
    "SpecError",
    "Volume",
    "build_manifest",
    "display_schedule",
    "export_warnings",
    "from_chronos_json",
    "is_valid_kubernetes_name",
    "kubernetes_name",
    "parse_chronos_job",
    "parse_user",
    "to_chronos_json",
    "validate_spec",
]
