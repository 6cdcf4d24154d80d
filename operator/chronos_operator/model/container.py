"""``spec.container``: Chronos' Docker/Mesos container block and how each part maps to the pod."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import SpecModel
from .errors import FieldError

ContainerType = Literal["DOCKER", "MESOS"]
NetworkMode = Literal["HOST", "BRIDGE", "USER"]
VolumeMode = Literal["RW", "RO"]
NetworkProtocol = Literal["IPv4", "IPv6"]


class KeyValue(SpecModel):
    """A key and its value."""

    key: str = Field(min_length=1, description="The key.")
    value: str = Field("", description="The value.")


class PortMapping(SpecModel):
    """A Mesos CNI port mapping (accepted so imported jobs load; Kubernetes pods have no port mappings)."""

    hostPort: int = Field(
        ge=0, le=65535, description="Port on the host (Chronos `hostPort`). Not used on Kubernetes."
    )
    containerPort: int = Field(
        ge=0, le=65535, description="Port in the container (Chronos `containerPort`). Not used on Kubernetes."
    )
    protocol: str | None = Field(
        None, description="`tcp` or `udp` (Chronos `protocol`). Not used on Kubernetes."
    )


class NetworkInfo(SpecModel):
    """A named Mesos network to join; on Kubernetes, a Multus network attachment."""

    name: str = Field(
        min_length=1,
        description="Name of the network (Chronos `networkInfos[].name`). Added to the pod's Multus "
        "annotation `k8s.v1.cni.cncf.io/networks`.",
    )
    protocol: NetworkProtocol | None = Field(
        None,
        description="IPv4 or IPv6 (Chronos `protocol`). Accepted for compatibility; not used on Kubernetes.",
    )
    labels: list[KeyValue] = Field(
        default_factory=list,
        description="Labels for the network (Chronos `labels`). Accepted for compatibility; not used on "
        "Kubernetes.",
    )
    portMappings: list[PortMapping] = Field(
        default_factory=list,
        description="Port mappings (Chronos `portMappings`). Accepted for compatibility; not used on "
        "Kubernetes.",
    )


class ExternalVolume(SpecModel):
    """A volume managed outside the agent (Mesos Docker volume driver); a PersistentVolumeClaim here."""

    name: str = Field(
        min_length=1,
        description="Name of the external volume (Chronos `external.name`). The pod mounts the "
        "PersistentVolumeClaim of this name in the job's namespace.",
    )
    provider: str = Field(
        "",
        description="Volume driver (Chronos `external.provider`, e.g. `dvdi`). The claim's storage class "
        "decides this on Kubernetes, so it is not used.",
    )
    options: list[KeyValue] = Field(
        default_factory=list,
        description="Driver options (Chronos `external.options`). Not used on Kubernetes.",
    )


class Volume(SpecModel):
    """A volume mounted into the container."""

    containerPath: str = Field(
        min_length=1,
        description="Where the volume is mounted in the container (Chronos `containerPath`). Becomes the "
        "volumeMount's mountPath.",
    )
    hostPath: str | None = Field(
        None,
        description="Directory on the node (Chronos `hostPath`). Becomes a hostPath volume, which the "
        "operator refuses unless its policy allows host paths (Degraded, reason PolicyDenied). Without "
        "hostPath and external, the volume is an emptyDir.",
    )
    mode: VolumeMode | None = Field(
        None, description="RW (default) or RO (Chronos `mode`). RO makes the volumeMount readOnly."
    )
    external: ExternalVolume | None = Field(
        None,
        description="An external volume (Chronos `external`). Becomes a PersistentVolumeClaim volume named "
        "`external.name`.",
    )

    @model_validator(mode="after")
    def _check_source(self) -> Volume:
        if self.hostPath is not None and self.external is not None:
            raise FieldError("external", "set either hostPath or external, not both")
        return self


class Container(SpecModel):
    """The container the job runs in (Chronos `container`). Without it, jobs run in the operator's
    default image."""

    type: ContainerType = Field(
        "DOCKER",
        description="Chronos containerizer, DOCKER (default) or MESOS. Both run `image` natively in the pod.",
    )
    image: str | None = Field(
        None,
        min_length=1,
        description="The container image (Chronos `image`). When unset, the operator's default image (a "
        "small shell image, an operator setting).",
    )
    network: NetworkMode | None = Field(
        None,
        description="Network mode (Chronos `network`, case-sensitive): HOST, BRIDGE or USER. HOST sets the "
        "pod's hostNetwork, which the operator refuses unless its policy allows it (Degraded, reason "
        "PolicyDenied); BRIDGE and USER use the pod network. Unset = BRIDGE behaviour (Chronos defaulted to "
        "HOST).",
    )
    networkName: str | None = Field(
        None,
        description="Deprecated Chronos single network name (Chronos `networkName`). Added to the pod's "
        "Multus annotation `k8s.v1.cni.cncf.io/networks`.",
    )
    networkInfos: list[NetworkInfo] = Field(
        default_factory=list,
        description="Named networks to join (Chronos `networkInfos`). Their names go into the pod's Multus "
        "annotation `k8s.v1.cni.cncf.io/networks`.",
    )
    volumes: list[Volume] = Field(
        default_factory=list,
        description="Volumes mounted into the container (Chronos `volumes`): hostPath volume, "
        "PersistentVolumeClaim (external) or emptyDir.",
    )
    forcePullImage: bool = Field(
        False,
        description="Pull the image before every run (Chronos `forcePullImage`). true = imagePullPolicy "
        "Always, false = IfNotPresent.",
    )
    parameters: list[KeyValue] = Field(
        default_factory=list,
        description="Extra `docker run` options (Chronos `parameters`). Known keys are mapped: env -> "
        "container env, label -> pod label, user -> runAsUser, workdir -> workingDir, privileged -> "
        "privileged (policy-gated); other keys are reported (Degraded, reason UnsupportedField), never "
        "silently dropped.",
    )
