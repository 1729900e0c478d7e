{{/*
The Console (values `console`, docs/console-in-cluster.md). Its pods carry their own
app.kubernetes.io/name (<chart>-console), so the operator's Deployment and metrics Service,
which select <chart> + instance, never select them.
*/}}
{{- define "conveyor.console.fullname" -}}
{{- printf "%s-console" (include "conveyor.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "conveyor.console.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-console" (include "conveyor.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "conveyor.console.labels" -}}
helm.sh/chart: {{ include "conveyor.chart" . }}
{{ include "conveyor.console.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: console
app.kubernetes.io/part-of: conveyor
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The host name the Console answers to; required once it is enabled. */}}
{{- define "conveyor.console.host" -}}
{{- required "console.host is required when console.enabled: the host name people reach the Console by (the server accepts no other Host header)" .Values.console.host }}
{{- end }}
