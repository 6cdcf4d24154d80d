{{/* The chart name, as used in labels. */}}
{{- define "chronos-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name. Cluster-scoped objects (ClusterRoles, the admission policy,
the ClusterKopfPeering) carry it too, so several releases can share a cluster.
*/}}
{{- define "chronos-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "chronos-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "chronos-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "chronos-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "chronos-operator.labels" -}}
helm.sh/chart: {{ include "chronos-operator.chart" . }}
{{ include "chronos-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: chronos-operator
{{- end }}

{{- define "chronos-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "chronos-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "chronos-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "true" when kopf peering is on: asked for, or implied by more than one replica. */}}
{{- define "chronos-operator.peering" -}}
{{- if or .Values.peering.enabled (gt (int .Values.replicaCount) 1) }}true{{ end }}
{{- end }}

{{/* The kopf peering object's name: one per release, so releases never elect each other. */}}
{{- define "chronos-operator.peeringName" -}}
{{- include "chronos-operator.fullname" . }}
{{- end }}

{{/* The label selector as the operator reads it: k=v,k=v (sorted by key). */}}
{{- define "chronos-operator.labelSelector" -}}
{{- $parts := list }}
{{- range $k, $v := .Values.labelSelector }}
{{- $parts = append $parts (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $parts }}
{{- end }}

{{- define "chronos-operator.apiServiceName" -}}
{{- printf "%s-api" (include "chronos-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "chronos-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "chronos-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
